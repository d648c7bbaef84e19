package dev.weft.testkit.bgp;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One row of {@code birdc show protocols}: {@code Name Proto Table State Since Info}.
 *
 * @param since when the protocol entered its state (BirdConfig sets the time format to epoch
 *              seconds with milliseconds), or null if unparsable
 * @param info  the rest of the row, e.g. {@code Established}, {@code Active  Socket: Connection refused}
 */
public record BirdProtocol(String name, String proto, String table, String state, Instant since, String info) {
    /** Longest output {@link #parse} accepts; a test peer has a handful of protocols. */
    static final int MAX_OUTPUT = 1 << 20;
    private static final int MAX_LINE = 1024;

    /** A BGP session that is up and Established. */
    public boolean established() {
        return "up".equals(state) && info.startsWith("Established");
    }

    /**
     * Parses the table; lines that are not rows (the "BIRD x ready." banner, the header) are skipped.
     * Linear: one pass over each line, which is bounded.
     */
    static List<BirdProtocol> parse(String out) {
        if (out.length() > MAX_OUTPUT) {
            throw new IllegalArgumentException("birdc output of " + out.length() + " chars is too long to be a protocol list");
        }
        List<BirdProtocol> rows = new ArrayList<>();
        boolean header = false;
        for (String line : out.split("\n", -1)) {
            if (line.length() > MAX_LINE) {
                throw new IllegalArgumentException("birdc line of " + line.length() + " chars");
            }
            if (!header) {
                header = line.startsWith("Name ");
                continue;
            }
            BirdProtocol p = parseRow(line);
            if (p != null) {
                rows.add(p);
            }
        }
        return rows;
    }

    private static BirdProtocol parseRow(String line) {
        String[] f = new String[5];
        int pos = 0;
        for (int i = 0; i < f.length; i++) {
            pos = skipSpaces(line, pos);
            int end = pos;
            while (end < line.length() && line.charAt(end) != ' ') {
                end++;
            }
            if (end == pos) {
                return null;
            }
            f[i] = line.substring(pos, end);
            pos = end;
        }
        String info = line.substring(skipSpaces(line, pos)).strip();
        return new BirdProtocol(f[0], f[1], f[2], f[3], parseSince(f[4]), info);
    }

    private static int skipSpaces(String s, int pos) {
        while (pos < s.length() && s.charAt(pos) == ' ') {
            pos++;
        }
        return pos;
    }

    /** {@code 1765000000.123}; anything else (another time format) gives null. */
    static Instant parseSince(String s) {
        int dot = s.indexOf('.');
        if (dot <= 0 || dot > 12 || s.length() - dot - 1 != 3) {
            return null;
        }
        try {
            long sec = Long.parseLong(s.substring(0, dot));
            int ms = Integer.parseInt(s.substring(dot + 1));
            return Instant.ofEpochSecond(sec, ms * 1_000_000L);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
