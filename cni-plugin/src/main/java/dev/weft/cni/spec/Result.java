package dev.weft.cni.spec;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A CNI result in the 1.1 model; {@link ResultJson} converts it to and from every supported
 * version. Lists are never null.
 */
public record Result(List<Iface> interfaces, List<IpConfig> ips, List<RouteEntry> routes, Dns dns) {

    public Result {
        interfaces = List.copyOf(interfaces);
        ips = List.copyOf(ips);
        routes = List.copyOf(routes);
        dns = dns == null ? Dns.EMPTY : dns;
    }

    public static Result empty() {
        return new Result(List.of(), List.of(), List.of(), Dns.EMPTY);
    }

    public Result withInterfaces(List<Iface> l) {
        return new Result(l, ips, routes, dns);
    }

    public Result withIps(List<IpConfig> l) {
        return new Result(interfaces, l, routes, dns);
    }

    public Result withRoutes(List<RouteEntry> l) {
        return new Result(interfaces, ips, l, dns);
    }

    public Result withDns(Dns d) {
        return new Result(interfaces, ips, routes, d);
    }

    /** Appends an interface and returns the new result with it; its index is the old size. */
    public Result plusInterface(Iface i) {
        List<Iface> l = new ArrayList<>(interfaces);
        l.add(i);
        return withInterfaces(l);
    }

    /** An interface entry. {@code sandbox} is the netns path for container interfaces, else null. */
    public record Iface(String name, String mac, Integer mtu, String sandbox, String socketPath, String pciID) {
        public static Iface of(String name, String mac, String sandbox) {
            return new Iface(name, mac, null, sandbox, null, null);
        }

        public Iface withMtu(Integer m) {
            return new Iface(name, mac, m, sandbox, socketPath, pciID);
        }
    }

    /** An address: host IP plus prefix ("10.1.0.5/24"), its gateway, and the interface index. */
    public record IpConfig(Cidr address, IpAddress gateway, Integer interfaceIndex) {
        public IpConfig withInterface(Integer i) {
            return new IpConfig(address, gateway, i);
        }

        public IpConfig withGateway(IpAddress g) {
            return new IpConfig(address, g, interfaceIndex);
        }
    }

    public record RouteEntry(Cidr dst, IpAddress gw, Integer mtu, Integer advmss, Integer priority, Integer table,
                             Integer scope) {
        public static RouteEntry of(Cidr dst, IpAddress gw) {
            return new RouteEntry(dst, gw, null, null, null, null, null);
        }
    }

    public record Dns(List<String> nameservers, String domain, List<String> search, List<String> options) {
        public static final Dns EMPTY = new Dns(List.of(), null, List.of(), List.of());

        public Dns {
            nameservers = nameservers == null ? List.of() : List.copyOf(nameservers);
            search = search == null ? List.of() : List.copyOf(search);
            options = options == null ? List.of() : List.copyOf(options);
        }

        public boolean isEmpty() {
            return nameservers.isEmpty() && (domain == null || domain.isEmpty()) && search.isEmpty() && options.isEmpty();
        }
    }
}
