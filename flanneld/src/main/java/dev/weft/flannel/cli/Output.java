package dev.weft.flannel.cli;

import picocli.CommandLine.ITypeConverter;

/** -o: a table for people (the default) or JSON for programs. */
enum Output {
    TABLE, JSON;

    /** "table" or "json", in any case. */
    static final class Converter implements ITypeConverter<Output> {
        @Override
        public Output convert(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "table" -> TABLE;
                case "json" -> JSON;
                default -> throw new IllegalArgumentException("-o must be table or json, not " + value);
            };
        }
    }
}
