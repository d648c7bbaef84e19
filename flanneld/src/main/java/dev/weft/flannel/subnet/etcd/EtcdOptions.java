package dev.weft.flannel.subnet.etcd;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * How to reach etcd: flanneld's {@code -etcd-*} flags.
 *
 * @param endpoints      client URLs ({@code http://127.0.0.1:2379}, {@code https://...})
 * @param caFile         PEM CA bundle, or null (flag -etcd-cafile)
 * @param certFile       PEM client certificate, or null (-etcd-certfile)
 * @param keyFile        PEM client key (PKCS#8), or null (-etcd-keyfile)
 * @param username       or null (-etcd-username)
 * @param password       or null (-etcd-password)
 * @param requestTimeout bound on every request, so an outage shows up as an error to retry
 */
public record EtcdOptions(List<String> endpoints, String caFile, String certFile, String keyFile,
                          String username, String password, Duration requestTimeout) {
    /** flanneld's default endpoints. */
    public static final String DEFAULT_ENDPOINTS = "http://127.0.0.1:4001,http://127.0.0.1:2379";
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);

    public EtcdOptions {
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("at least one etcd endpoint is required");
        }
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        caFile = blankToNull(caFile);
        certFile = blankToNull(certFile);
        keyFile = blankToNull(keyFile);
        username = blankToNull(username);
        password = blankToNull(password);
        // flannel silently falls back to plain text here; half a client identity is a mistake to report
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException(certFile == null
                    ? "-etcd-keyfile " + keyFile + " is given without -etcd-certfile: a client key needs its certificate"
                    : "-etcd-certfile " + certFile + " is given without -etcd-keyfile: a client certificate needs its key");
        }
    }

    /** Endpoints as flanneld takes them: one comma-separated string. */
    public static EtcdOptions of(String commaSeparatedEndpoints) {
        List<String> eps = Arrays.stream(commaSeparatedEndpoints.split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).toList();
        return new EtcdOptions(eps, null, null, null, null, null, DEFAULT_REQUEST_TIMEOUT);
    }

    public EtcdOptions withTls(String caFile, String certFile, String keyFile) {
        return new EtcdOptions(endpoints, caFile, certFile, keyFile, username, password, requestTimeout);
    }

    public EtcdOptions withAuth(String username, String password) {
        return new EtcdOptions(endpoints, caFile, certFile, keyFile, username, password, requestTimeout);
    }

    public EtcdOptions withRequestTimeout(Duration timeout) {
        return new EtcdOptions(endpoints, caFile, certFile, keyFile, username, password, timeout);
    }

    /**
     * TLS when a CA or a client certificate is given. A CA alone is server-only TLS (the server is
     * verified, we show no certificate), where flannel would talk plain text; a certificate and key
     * without a CA verify the server against the system's trust store.
     */
    public boolean usesTls() {
        return caFile != null || hasClientCertificate();
    }

    /** Whether we present a client certificate (-etcd-certfile and -etcd-keyfile). */
    public boolean hasClientCertificate() {
        return certFile != null && keyFile != null;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
