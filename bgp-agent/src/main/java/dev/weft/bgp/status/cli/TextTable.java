package dev.weft.bgp.status.cli;

import java.util.ArrayList;
import java.util.List;

/** Left-aligned columns two spaces apart, each as wide as its widest cell; the last column is not padded. */
final class TextTable {
    private final List<String[]> rows = new ArrayList<>();
    private final int[] minWidths;

    TextTable(String... header) {
        minWidths = new int[header.length];
        rows.add(header);
    }

    /** Columns at least this wide, so that pages of one long listing line up. */
    TextTable minWidths(int... widths) {
        System.arraycopy(widths, 0, minWidths, 0, Math.min(widths.length, minWidths.length));
        return this;
    }

    TextTable row(String... cells) {
        rows.add(cells);
        return this;
    }

    /** Without the header row, for the second and later pages of a listing. */
    String renderBody() {
        return render(1);
    }

    String render() {
        return render(0);
    }

    private String render(int from) {
        int cols = minWidths.length;
        int[] w = minWidths.clone();
        for (String[] r : rows) {
            for (int i = 0; i < cols; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] r : rows.subList(from, rows.size())) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < cols; i++) {
                line.append(r[i]);
                if (i < cols - 1) {
                    line.append(" ".repeat(w[i] - r[i].length() + 2));
                }
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
        return b.toString();
    }
}
