package dev.weft.bpf;

import dev.weft.libc.LibC;
import dev.weft.libc.NativeMemory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The bpf(2) system call, the few commands Weft uses: create a map, update/delete/look up an
 * element, load a program. {@code union bpf_attr} is written field by field at the offsets of
 * include/uapi/linux/bpf.h (stable ABI); the rest of the union stays zero, which the kernel
 * requires of fields it knows and the caller does not set.
 */
public final class Bpf {
    /** BPF_PROG_TYPE_SCHED_CLS: a tc classifier (cls_bpf). */
    public static final int PROG_TYPE_SCHED_CLS = 3;
    public static final int MAP_TYPE_HASH = 1;
    public static final int MAP_TYPE_PERCPU_ARRAY = 6;
    /** Longest-prefix-match keys: {u32 prefix length; the address bytes}. */
    public static final int MAP_TYPE_LPM_TRIE = 11;
    /** BPF_F_NO_PREALLOC, which an LPM trie requires. */
    public static final int F_NO_PREALLOC = 1;

    private static final int CMD_MAP_CREATE = 0;
    private static final int CMD_MAP_LOOKUP_ELEM = 1;
    private static final int CMD_MAP_UPDATE_ELEM = 2;
    private static final int CMD_MAP_DELETE_ELEM = 3;
    private static final int CMD_PROG_LOAD = 5;
    private static final int ATTR_SIZE = 128;
    private static final int OBJ_NAME_LEN = 16;
    /** Enough for the verifier's log of the programs Weft writes (a few hundred instructions). */
    private static final int LOG_SIZE = 1 << 20;

    private Bpf() {
    }

    private static long sysBpf() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64", "x86_64" -> 321;
            case "aarch64", "arm64", "riscv64" -> 280;
            default -> throw new UnsupportedOperationException("bpf(2) number unknown on " + arch);
        };
    }

    private static final long SYS_BPF = sysBpf();

    /** Runs one command; returns its result (a descriptor, or 0) or −errno. */
    private static long call(int cmd, NativeMemory attr) {
        long r = LibC.get().syscall(SYS_BPF, cmd, attr.address(), ATTR_SIZE);
        return r < 0 ? -LibC.errno() : r;
    }

    private static void putName(NativeMemory attr, int offset, String name) {
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        attr.put(offset, b, 0, Math.min(b.length, OBJ_NAME_LEN - 1));
    }

    /** Creates a map; the descriptor is the caller's to close (see {@link BpfMap}). */
    static int createMap(int type, int keySize, int valueSize, int maxEntries, int flags, String name) {
        try (NativeMemory attr = NativeMemory.allocate(ATTR_SIZE)) {
            attr.putInt(0, type);
            attr.putInt(4, keySize);
            attr.putInt(8, valueSize);
            attr.putInt(12, maxEntries);
            attr.putInt(16, flags);
            putName(attr, 28, name);
            long r = call(CMD_MAP_CREATE, attr);
            if (r < 0) {
                throw new BpfException("bpf MAP_CREATE " + name, (int) -r, null);
            }
            return (int) r;
        }
    }

    /** Map element commands: {u32 map_fd; pad; u64 key; u64 value; u64 flags}. Returns 0 or −errno. */
    static int element(int cmd, int mapFd, byte[] key, byte[] value, long flags) {
        int vlen = value == null ? 0 : value.length;
        try (NativeMemory attr = NativeMemory.allocate(ATTR_SIZE); NativeMemory kv = NativeMemory.allocate(key.length + vlen + 1)) {
            kv.put(0, key);
            if (value != null && cmd != CMD_MAP_LOOKUP_ELEM) {
                kv.put(key.length, value);
            }
            attr.putInt(0, mapFd);
            attr.putLong(8, kv.address());
            attr.putLong(16, value == null ? 0 : kv.address() + key.length);
            attr.putLong(24, flags);
            long r = call(cmd, attr);
            if (r == 0 && cmd == CMD_MAP_LOOKUP_ELEM) {
                kv.get(key.length, value);
            }
            return (int) r;
        }
    }

    static int update(int mapFd, byte[] key, byte[] value) {
        return element(CMD_MAP_UPDATE_ELEM, mapFd, key, value, 0);
    }

    static int delete(int mapFd, byte[] key) {
        return element(CMD_MAP_DELETE_ELEM, mapFd, key, null, 0);
    }

    static int lookup(int mapFd, byte[] key, byte[] valueOut) {
        return element(CMD_MAP_LOOKUP_ELEM, mapFd, key, valueOut, 0);
    }

    /**
     * Loads a program. The first attempt asks for no log (the verifier runs faster without one);
     * a refusal is retried with the log on, so the exception says why.
     *
     * @return the program's descriptor, the caller's to close
     * @throws BpfException with the verifier's log when the kernel refuses it
     */
    public static int loadProgram(int type, List<Insn> program, String license, String name) {
        byte[] code = BpfAssembler.encode(program);
        byte[] lic = (license + "\0").getBytes(StandardCharsets.US_ASCII);
        try (NativeMemory insns = NativeMemory.allocate(code.length); NativeMemory licence = NativeMemory.allocate(lic.length)) {
            insns.put(0, code);
            licence.put(0, lic);
            long r = load(type, program.size(), insns, licence, name, null);
            if (r >= 0) {
                return (int) r;
            }
            try (NativeMemory log = NativeMemory.allocate(LOG_SIZE)) {
                long again = load(type, program.size(), insns, licence, name, log);
                if (again >= 0) {
                    return (int) again; // refused once, then accepted: keep it
                }
                byte[] text = new byte[LOG_SIZE];
                log.get(0, text);
                int n = 0;
                while (n < text.length && text[n] != 0) {
                    n++;
                }
                throw new BpfException("bpf PROG_LOAD " + name, (int) -again, new String(text, 0, n, StandardCharsets.UTF_8));
            }
        }
    }

    private static long load(int type, int count, NativeMemory insns, NativeMemory licence, String name, NativeMemory log) {
        try (NativeMemory attr = NativeMemory.allocate(ATTR_SIZE)) {
            attr.putInt(0, type);
            attr.putInt(4, count);
            attr.putLong(8, insns.address());
            attr.putLong(16, licence.address());
            if (log != null) {
                attr.putInt(24, 1);
                attr.putInt(28, log.size());
                attr.putLong(32, log.address());
            }
            putName(attr, 48, name);
            return call(CMD_PROG_LOAD, attr);
        }
    }

    /** Closes a descriptor bpf(2) gave. */
    static void close(int fd) {
        LibC.get().close(fd);
    }

    /** How many per-CPU slots a per-CPU map's lookup fills: the possible CPUs ("0-3", "0,2-5"). */
    public static int possibleCpus() {
        try {
            String s = Files.readString(Path.of("/sys/devices/system/cpu/possible")).strip();
            int max = 0;
            for (String part : s.split(",", 64)) {
                String hi = part.contains("-") ? part.substring(part.indexOf('-') + 1) : part;
                max = Math.max(max, Integer.parseInt(hi.strip()));
            }
            return max + 1;
        } catch (IOException | NumberFormatException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }
}
