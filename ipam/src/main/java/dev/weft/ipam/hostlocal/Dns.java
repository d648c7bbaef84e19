package dev.weft.ipam.hostlocal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * DNS settings for the ADD result, read from the file named by {@code ipam.resolvConf}.
 *
 * @param domain null when the file has no {@code domain} line
 */
public record Dns(List<String> nameservers, String domain, List<String> search, List<String> options) {

    public Dns {
        nameservers = List.copyOf(nameservers);
        search = List.copyOf(search);
        options = List.copyOf(options);
    }

    /** True when nothing was found; the reference then prints {@code "dns":{}}. */
    public boolean isEmpty() {
        return nameservers.isEmpty() && domain == null && search.isEmpty() && options.isEmpty();
    }

    /**
     * Parses resolv.conf as the reference does: {@code nameserver} and {@code search}/{@code options}
     * accumulate, the last {@code domain} wins, lines starting with {@code #} or {@code ;} and lines
     * with fewer than two fields are skipped, unknown keywords are ignored.
     */
    public static Dns parseResolvConf(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    static Dns parse(String text) {
        List<String> nameservers = new ArrayList<>();
        List<String> search = new ArrayList<>();
        List<String> options = new ArrayList<>();
        String domain = null;
        for (String raw : text.split("\n", -1)) {
            String line = GoText.trimSpace(raw);
            if (line.isEmpty() || line.charAt(0) == '#' || line.charAt(0) == ';') {
                continue;
            }
            List<String> f = fields(line);
            if (f.size() < 2) {
                continue;
            }
            switch (f.get(0)) {
                case "nameserver" -> nameservers.add(f.get(1));
                case "domain" -> domain = f.get(1);
                case "search" -> search.addAll(f.subList(1, f.size()));
                case "options" -> options.addAll(f.subList(1, f.size()));
                default -> { }
            }
        }
        return new Dns(nameservers, domain, search, options);
    }

    /** Go's {@code strings.Fields}: split on runs of white space. */
    private static List<String> fields(String line) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < line.length()) {
            while (i < line.length() && GoText.isSpace(line.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < line.length() && !GoText.isSpace(line.charAt(i))) {
                i++;
            }
            if (i > start) {
                out.add(line.substring(start, i));
            }
        }
        return out;
    }
}
