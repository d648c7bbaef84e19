package dev.weft.firewall;

/**
 * Input for {@code iptables-restore --noflush}: one {@code *table ... COMMIT} section per table,
 * each applied atomically. With {@code --noflush}, declaring a chain ({@code :X - [0:0]}) creates it
 * or empties it and touches nothing else.
 */
public final class RestoreScript {
    private final StringBuilder text = new StringBuilder();
    private String open;
    private int commands;

    /** A script of one table and the given command lines ({@code -A ...}, {@code -D ...}, {@code :X - [0:0]}). */
    public static RestoreScript of(String table, Iterable<String> lines) {
        RestoreScript s = new RestoreScript().table(table);
        for (String l : lines) {
            s.line(l);
        }
        return s;
    }

    /** Starts the section of {@code name}, closing the previous one. */
    public RestoreScript table(String name) {
        closeSection();
        text.append('*').append(name).append('\n');
        open = name;
        return this;
    }

    public RestoreScript declareChain(String chain) {
        return line(":" + chain + " - [0:0]");
    }

    public RestoreScript append(IptablesRule rule) {
        return line(inOpen(rule).line("-A"));
    }

    public RestoreScript delete(IptablesRule rule) {
        return line(inOpen(rule).line("-D"));
    }

    public RestoreScript flushChain(String chain) {
        return line("-F " + chain);
    }

    public RestoreScript deleteChain(String chain) {
        return line("-X " + chain);
    }

    /** A command line as is. */
    public RestoreScript line(String line) {
        if (open == null) {
            throw new IllegalStateException("no table section open for: " + line);
        }
        text.append(line).append('\n');
        commands++;
        return this;
    }

    /** True when no command was added (a restore would change nothing). */
    public boolean isEmpty() {
        return commands == 0;
    }

    /** The whole script, every section committed. */
    public String text() {
        return open == null ? text.toString() : text + "COMMIT\n";
    }

    @Override
    public String toString() {
        return text();
    }

    private IptablesRule inOpen(IptablesRule rule) {
        if (!rule.table().equals(open)) {
            throw new IllegalStateException(rule + " is not in table " + open);
        }
        return rule;
    }

    private void closeSection() {
        if (open != null) {
            text.append("COMMIT\n");
            open = null;
        }
    }
}
