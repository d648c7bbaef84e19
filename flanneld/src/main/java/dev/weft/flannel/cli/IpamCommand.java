package dev.weft.flannel.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** weftctl ipam: block IPAM as it is in etcd, checked against this node's pods, and one address released by hand. */
@Command(name = "ipam", mixinStandardHelpOptions = true,
        description = "Block IPAM (net-conf IPAM Type blocks): pools and blocks, consistency with this node's pods, release.",
        subcommands = {IpamShowCommand.class, IpamCheckCommand.class, IpamReleaseCommand.class})
public final class IpamCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "weftctl ipam needs a command: show, check or release");
    }
}
