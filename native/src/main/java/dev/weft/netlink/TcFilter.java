package dev.weft.netlink;

/**
 * A tc filter as a dump lists it: its device, hook, priority and handle, its kind ("bpf" for
 * cls_bpf), and for cls_bpf the program's name and whether it runs in direct-action mode.
 */
public record TcFilter(int index, TcHook hook, int priority, int handle, String kind, String bpfName, boolean directAction) {
}
