package dev.weft.flannel.cli;

import dev.weft.ipam.blocks.PoolConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** weftctl ipam show: pools with their use, and every block by node with its affinity state, like {@code calicoctl ipam show --show-blocks}. */
@Command(name = "show", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = "Pools (block size, addresses in use of all) and blocks per node (affinity state, used, free), read from etcd.")
public final class IpamShowCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputFlag output = new OutputFlag();

    @Mixin
    IpamSource source = new IpamSource();

    @Override
    public Integer call() throws Exception {
        IpamUsage usage;
        try (IpamSource.Opened o = source.open()) {
            PoolConfig pools = source.pools(o);
            usage = new IpamUsage(o.tree(), pools);
        }
        output.print(spec, () -> usage.json(), () -> usage.table());
        return 0;
    }
}
