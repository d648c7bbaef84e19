package dev.weft.flannel.cli;

import picocli.CommandLine.Option;

/** -o table|json, one definition for every weftctl node command that prints. */
final class OutputFlag {
    @Option(names = {"-o", "--output"}, defaultValue = "table", converter = Output.Converter.class, description = "table or json")
    Output output;

    boolean json() {
        return output == Output.JSON;
    }
}
