// KafscopeJolokiaAgent - a tiny JVM agent that serves Jolokia's JSON protocol over HTTP.
//
// Written for Kafscope, ONLY to record real Jolokia answers from a real Kafka broker as test
// fixtures (see README.md). Debian ships jolokia-core (the protocol engine) but no Jolokia JVM
// agent jar, so this file supplies the missing piece: an HTTP listener.
//
// Usage:  java -javaagent:kafscope-jolokia-agent.jar=PORT ...     (listens on 127.0.0.1:PORT/jolokia)
//
// jolokia-core 1.7.1 API used (found with javap):
//   new Configuration(Object... keyValuePairs)
//   new BackendManager(Configuration, LogHandler, Restrictor, boolean lazy)
//   new HttpRequestHandler(Configuration, BackendManager, LogHandler)
//     .handlePostRequest(String uri, InputStream body, String encoding, Map<String,String[]> params) -> JSONAware
//     .handleGetRequest(String uri, String pathInfo, Map<String,String[]> params)                     -> JSONAware
//     .handleThrowable(Throwable)                                                                   -> JSONObject
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.jolokia.backend.BackendManager;
import org.jolokia.config.ConfigKey;
import org.jolokia.config.Configuration;
import org.jolokia.http.HttpRequestHandler;
import org.jolokia.restrictor.AllowAllRestrictor;
import org.jolokia.util.LogHandler;
import org.json.simple.JSONAware;

public final class KafscopeJolokiaAgent {
    public static void premain(String args, Instrumentation inst) throws Exception {
        int port = Integer.parseInt(args == null || args.isEmpty() ? "8778" : args.trim());

        // Jolokia logs go to stderr (kafkaServer.out when Kafka runs as a daemon).
        LogHandler log = new LogHandler() {
            public void debug(String m) { }
            public void info(String m) { System.err.println("[kafscope-jolokia] " + m); }
            public void error(String m, Throwable t) {
                System.err.println("[kafscope-jolokia] ERROR " + m);
                if (t != null) t.printStackTrace();
            }
        };
        // Jolokia defaults, except that BackendManager insists on an agent id.
        Configuration config = new Configuration(ConfigKey.AGENT_ID, "kafscope-recorder-" + port);
        // Allow every request: the listener is bound to loopback only and is used for recording.
        BackendManager backend = new BackendManager(config, log, new AllowAllRestrictor(), true /* lazy init */);
        HttpRequestHandler handler = new HttpRequestHandler(config, backend, log);

        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/jolokia", ex -> serve(ex, handler));
        server.setExecutor(null); // one dispatcher thread is plenty
        // The JDK HTTP server's dispatcher thread is non-daemon; stop it when the JVM shuts down.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
        server.start();
        log.info("listening on http://127.0.0.1:" + port + "/jolokia");
    }

    private static void serve(HttpExchange ex, HttpRequestHandler handler) {
        JSONAware json;
        try {
            String uri = ex.getRequestURI().toString();
            Map<String, String[]> params = new HashMap<>(); // no query options are used
            if ("POST".equalsIgnoreCase(ex.getRequestMethod())) {
                // A single request object or a bulk JSON array; Jolokia answers with the same shape.
                json = handler.handlePostRequest(uri, ex.getRequestBody(), "utf-8", params);
            } else {
                // GET /jolokia/<path> (e.g. /jolokia/version) - path after the context.
                String path = ex.getRequestURI().getPath().substring("/jolokia".length());
                json = handler.handleGetRequest(uri, path, params);
            }
        } catch (Throwable t) {
            json = handler.handleThrowable(t);
        }
        try {
            byte[] body = json.toJSONString().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            ex.sendResponseHeaders(200, body.length); // Jolokia reports per-request status inside the JSON
            try (OutputStream os = ex.getResponseBody()) { os.write(body); }
        } catch (Exception e) {
            e.printStackTrace();
        } finally {
            ex.close();
        }
    }
}
