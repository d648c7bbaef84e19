package dev.weft.ipam.blocks;

/** A value in etcd that is too large, not JSON, or not a consistent Calico record. */
final class CorruptValueException extends Exception {
    private static final long serialVersionUID = 1L;

    CorruptValueException(String message) {
        super(message);
    }
}
