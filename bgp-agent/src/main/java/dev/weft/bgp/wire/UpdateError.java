package dev.weft.bgp.wire;

/**
 * One RFC 7606 error found in an UPDATE, for the log: the NOTIFICATION subcode (UPDATE Message
 * Error, code 3) that RFC 4271 would have sent, and the action taken instead.
 *
 * @param typeCode the attribute's type code, or 0 when the error is about the attribute list as a whole
 */
public record UpdateError(int typeCode, int subcode, UpdateAction action, String reason) {
    @Override
    public String toString() {
        return "attribute " + typeCode + ": " + reason + " (3/" + subcode + ", " + action + ")";
    }
}
