package dev.weft.flannel.cli;

import picocli.CommandLine.Option;

/** -o table|json, one definition for every weftctl node command that prints. */
final class OutputFlag {
    @Option(names = {"-o", "--output"}, defaultValue = "table", converter = Output.Converter.class, description = "table or json")
    Output output;

    boolean json() {
        return output == Output.JSON;
    }

    /** Prints the JSON document or the table, as -o asks, on the command's standard output. */
    void print(picocli.CommandLine.Model.CommandSpec spec, java.util.function.Supplier<String> jsonDoc,
               java.util.function.Supplier<String> table) {
        java.io.PrintWriter out = spec.commandLine().getOut();
        if (json()) {
            out.println(jsonDoc.get());
        } else {
            out.print(table.get());
        }
        out.flush();
    }
}
