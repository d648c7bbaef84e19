package dev.weft.flannel.metrics;

/**
 * A Prometheus text-format (0.0.4) document being written: a family's HELP and TYPE, then its
 * samples. Label values are escaped; numbers that are whole print without a fraction.
 */
public final class Exposition {
    private final StringBuilder b;

    public Exposition() {
        this(new StringBuilder(2048));
    }

    public Exposition(StringBuilder b) {
        this.b = b;
    }

    /** Starts a family: {@code type} is counter, gauge, histogram or summary. */
    public Exposition family(String name, String type, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(' ').append(type).append('\n');
        return this;
    }

    /** A sample without labels. */
    public Exposition sample(String name, double value) {
        b.append(name).append(' ');
        number(value);
        b.append('\n');
        return this;
    }

    /** A sample with labels given as name, value, name, value... */
    public Exposition sample(String name, double value, String... labels) {
        if (labels.length % 2 != 0) {
            throw new IllegalArgumentException("labels come in name/value pairs");
        }
        b.append(name).append('{');
        for (int i = 0; i < labels.length; i += 2) {
            if (i > 0) {
                b.append(',');
            }
            b.append(labels[i]).append("=\"");
            escape(labels[i + 1]);
            b.append('"');
        }
        b.append("} ");
        number(value);
        b.append('\n');
        return this;
    }

    /** A gauge family with its one sample. */
    public Exposition gauge(String name, String help, double value) {
        return family(name, "gauge", help).sample(name, value);
    }

    /** A counter family with its one sample. */
    public Exposition counter(String name, String help, double value) {
        return family(name, "counter", help).sample(name, value);
    }

    private void number(double v) {
        if (Double.isNaN(v)) {
            b.append("NaN");
        } else if (Double.isInfinite(v)) {
            b.append(v > 0 ? "+Inf" : "-Inf");
        } else if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            b.append((long) v);
        } else {
            b.append(v);
        }
    }

    private void escape(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                default -> b.append(c);
            }
        }
    }

    @Override
    public String toString() {
        return b.toString();
    }
}
