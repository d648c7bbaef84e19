package dev.weft.testkit;

/**
 * Thrown when the machine cannot run kernel tests: not root, or a required tool is missing.
 * Deliberately a loud failure, never a skip.
 */
public class PrerequisiteException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PrerequisiteException(String message) {
        super(message);
    }

    public PrerequisiteException(String message, Throwable cause) {
        super(message, cause);
    }
}
