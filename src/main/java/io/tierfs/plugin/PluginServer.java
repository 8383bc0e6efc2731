package io.tierfs.plugin;

import com.fasterxml.jackson.jr.ob.JSON;
import io.tierfs.daemon.VolumeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Docker's volume plugin protocol (HTTP POSTs of JSON over a unix socket, the one podman speaks
 * too) in front of a {@link VolumeDriver}. A refused request answers status 500 with {"Err": why},
 * which the engine shows to its user.
 */
public final class PluginServer {
    private static final Logger LOG = Logger.getLogger(PluginServer.class.getName());
    private static final String CONTENT_TYPE = "application/vnd.docker.plugins.v1.2+json";
    /** Engines send a name, an id and a few options: anything larger is not a request of theirs. */
    private static final int MAX_BODY = 64 * 1024;

    private final VolumeDriver driver;
    private final Server server;

    public PluginServer(VolumeDriver driver, Path socket) {
        this.driver = driver;
        QueuedThreadPool threads = new QueuedThreadPool(8, 2);
        threads.setName("tierfs-plugin");
        server = new Server(threads);
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server, new HttpConnectionFactory());
        connector.setUnixDomainPath(socket);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                respond(request, response, callback);
                return true;
            }
        });
    }

    public void start() throws Exception {
        server.start();
    }

    public void join() throws InterruptedException {
        server.join();
    }

    public void stop() throws Exception {
        server.stop();
    }

    private void respond(Request request, Response response, Callback callback) throws IOException {
        String path = Request.getPathInContext(request);
        String body = "";
        Map<String, Object> answer;
        int status = 200;
        try {
            body = body(request);
            answer = call(path, parse(body));
        } catch (VolumeException | IllegalArgumentException e) {
            LOG.warning(path + " " + excerpt(body) + ": refused: " + e.getMessage());
            answer = Map.of("Err", e.getMessage());
            status = 500;
        } catch (Exception e) {
            LOG.log(Level.SEVERE, path + " " + excerpt(body) + " failed", e);
            answer = Map.of("Err", "tierfs plugin: " + e);
            status = 500;
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, CONTENT_TYPE);
        Content.Sink.write(response, true, JSON.std.asString(answer), callback);
    }

    private static String body(Request request) throws IOException {
        if (request.getLength() > MAX_BODY) {
            throw new IllegalArgumentException("request of " + request.getLength() + " bytes refused (at most " + MAX_BODY + ")");
        }
        try (java.io.InputStream in = Content.Source.asInputStream(request)) {
            byte[] b = in.readNBytes(MAX_BODY + 1);
            if (b.length > MAX_BODY) {
                throw new IllegalArgumentException("request of more than " + MAX_BODY + " bytes refused");
            }
            return new String(b, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static Map<String, Object> parse(String body) {
        if (body.isBlank()) {
            return Map.of();
        }
        try {
            return JSON.std.mapFrom(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("the request is not a JSON object");
        }
    }

    /** What a log line shows of a request: enough to know it, never megabytes. */
    private static String excerpt(String body) {
        String b = body.strip().replaceAll("\\s+", " ");
        return b.length() <= 300 ? b : b.substring(0, 300) + "... (" + body.length() + " characters)";
    }

    private Map<String, Object> call(String path, Map<String, Object> in) throws Exception {
        if (in.containsKey("Name") && !(in.get("Name") instanceof String)) {
            throw new IllegalArgumentException("Name must be a string");
        }
        String name = (String) in.get("Name");
        return switch (path) {
            case "/Plugin.Activate" -> Map.of("Implements", List.of("VolumeDriver"));
            case "/VolumeDriver.Capabilities" -> Map.of("Capabilities", Map.of("Scope", "local"));
            case "/VolumeDriver.Create" -> {
                driver.create(name, options(in.get("Opts")));
                yield Map.of("Err", "");
            }
            case "/VolumeDriver.Remove" -> {
                driver.remove(name);
                yield Map.of("Err", "");
            }
            case "/VolumeDriver.Mount" -> Map.of("Mountpoint", driver.mount(name, id(in)).toString(), "Err", "");
            case "/VolumeDriver.Unmount" -> {
                driver.unmount(name, id(in));
                yield Map.of("Err", "");
            }
            case "/VolumeDriver.Path" -> {
                Path mp = driver.get(name).mountpoint();
                yield Map.of("Mountpoint", mp == null ? "" : mp.toString(), "Err", "");
            }
            case "/VolumeDriver.Get" -> Map.of("Volume", describe(driver.get(name)), "Err", "");
            case "/VolumeDriver.List" -> {
                List<Object> all = new ArrayList<>();
                for (VolumeDriver.Volume v : driver.list()) {
                    all.add(describe(v));
                }
                yield Map.of("Volumes", all, "Err", "");
            }
            default -> throw new IllegalArgumentException("tierfs plugin: no such call: " + path);
        };
    }

    private static Map<String, String> options(Object opts) {
        Map<String, String> m = new LinkedHashMap<>();
        if (opts instanceof Map<?, ?> given) {
            given.forEach((k, v) -> m.put(String.valueOf(k), String.valueOf(v)));
        }
        return m;
    }

    /** The container's id: the engine names each use of a volume so that it can end that use alone. */
    private static String id(Map<String, Object> in) {
        Object id = in.get("ID");
        return id == null || id.toString().isEmpty() ? "anonymous" : id.toString();
    }

    private static Map<String, Object> describe(VolumeDriver.Volume v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("Name", v.name());
        m.put("Mountpoint", v.mountpoint() == null ? "" : v.mountpoint().toString());
        m.put("CreatedAt", v.created().toInstant().toString());
        Map<String, Object> status = new LinkedHashMap<>(v.options());
        status.put("containers", v.users());
        status.put("mounted", v.mountpoint() != null);
        m.put("Status", status);
        return m;
    }

    /** A socket file left by a plugin that died is removed; one that answers belongs to a live plugin. */
    public static void claimSocket(Path socket) throws IOException, VolumeException {
        if (!Files.exists(socket)) {
            Files.createDirectories(socket.toAbsolutePath().getParent());
            return;
        }
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
            java.net.UnixDomainSocketAddress.of(socket))) {
            throw new VolumeException("another plugin serves " + socket);
        } catch (IOException refused) {
            Files.delete(socket);
        }
    }
}
