package dev.weft.flannel.config;

/**
 * The network configuration is unusable. {@link #key()} names the offending JSON key when there is
 * one (e.g. {@code SubnetLen}, {@code Backend.Type}); the message keeps flannel's wording where
 * flannel has one, so operators can search for it.
 */
public class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String key;

    public ConfigException(String key, String message) {
        super(message);
        this.key = key;
    }

    public ConfigException(String key, String message, Throwable cause) {
        super(message, cause);
        this.key = key;
    }

    /** The JSON key at fault, or null when the problem is not tied to one key. */
    public String key() {
        return key;
    }
}
