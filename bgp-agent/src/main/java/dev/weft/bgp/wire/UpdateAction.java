package dev.weft.bgp.wire;

/**
 * What RFC 7606 prescribes for an UPDATE whose attributes are malformed, from mildest to
 * harshest. The harshest of its errors decides for the whole UPDATE. The fourth approach, session
 * reset, is not a value here: the codec throws {@link BgpWireException} for it.
 */
public enum UpdateAction {
    /** Nothing wrong. */
    ACCEPT,
    /** The malformed attribute was dropped (and is absent from the UPDATE); the rest stands (RFC 7606 §2). */
    ATTRIBUTE_DISCARD,
    /** Every prefix the UPDATE announces is to be withdrawn instead, the session kept (RFC 7606 §2). */
    TREAT_AS_WITHDRAW
}
