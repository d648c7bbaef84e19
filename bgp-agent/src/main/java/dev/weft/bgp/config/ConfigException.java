package dev.weft.bgp.config;

/** A config file that cannot be used; the message names the file and the offending key or value. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
