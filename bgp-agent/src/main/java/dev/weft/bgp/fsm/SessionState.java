package dev.weft.bgp.fsm;

/** The states of RFC 4271 §8.2.2, in the order a session moves through them. */
public enum SessionState {
    IDLE, CONNECT, ACTIVE, OPEN_SENT, OPEN_CONFIRM, ESTABLISHED
}
