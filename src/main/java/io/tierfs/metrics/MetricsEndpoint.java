package io.tierfs.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;

/** The Prometheus endpoint: the client's own HTTP server on the address `--metrics` names. */
public final class MetricsEndpoint implements AutoCloseable {
    /** Loopback, a free port: KPIs are not for the network unless the operator says so. */
    public static final String DEFAULT_ADDRESS = "127.0.0.1:0";

    private final HTTPServer server;
    private final String url;

    private MetricsEndpoint(HTTPServer server, String host) {
        this.server = server;
        this.url = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.getPort() + "/metrics";
    }

    /**
     * @param address "HOST:PORT" (port 0: a free one), as {@link #checkAddress} accepts it
     * @throws IOException naming the address when it cannot be bound
     */
    public static MetricsEndpoint start(String address, PrometheusRegistry registry) throws IOException {
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, colon).replaceAll("^\\[|]$", "");
        int port = Integer.parseInt(address.substring(colon + 1));
        try {
            return new MetricsEndpoint(HTTPServer.builder().inetAddress(InetAddress.getByName(host)).port(port)
                .registry(registry).buildAndStart(), host);
        } catch (IOException e) {
            throw new IOException("cannot serve metrics on " + address + ": " + e.getMessage(), e);
        }
    }

    /** "off", or HOST:PORT with a port from 0 to 65535. */
    public static String checkAddress(String address) {
        String a = address.strip();
        if (a.equals("off")) {
            return a;
        }
        int colon = a.lastIndexOf(':');
        try {
            int port = Integer.parseInt(a.substring(colon + 1));
            if (colon <= 0 || port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("metrics is ADDRESS:PORT (e.g. 127.0.0.1:9464; port 0 picks a free one)"
                + " or off, not '" + address + "'");
        }
        return a;
    }

    public String url() {
        return url;
    }

    @Override
    public void close() {
        server.close();
    }
}
