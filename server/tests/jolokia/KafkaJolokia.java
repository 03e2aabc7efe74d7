// Test-only fake Kafka broker JMX endpoint served by the real Jolokia 1.7.1
// request handler (Debian package libjolokia-core-java). See README.md here.
//
// Usage: java -cp <build>:/usr/share/java/jolokia-core.jar:/usr/share/java/json-simple.jar \
//            KafkaJolokia <port|0> <values.properties>
//
// Properties (re-read on every attribute read and before every HTTP request):
//   <Name>=<n>                       gauge  (attribute Value), e.g. UnderReplicatedPartitions=2
//   <Name>.<Attr>=<n>                meter  (Attr = Count|MeanRate|OneMinuteRate|FiveMinuteRate|FifteenMinuteRate;
//                                    missing attributes read as 0), e.g. BytesInPerSec.OneMinuteRate=1024.5
//   Log.Size.<topic>.<partition>=<n> kafka.log:type=Log,name=Size,topic=<topic>,partition=<partition> (Value)
//   jolokia.delayMs=<ms>             optional: sleep before answering each HTTP request (timeout tests)
// An MBean whose key(s) are absent is not registered (registrations are synced with the file on
// every HTTP request, so a test can add/remove series while the server runs).

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;

import org.jolokia.backend.BackendManager;
import org.jolokia.config.ConfigKey;
import org.jolokia.config.Configuration;
import org.jolokia.http.HttpRequestHandler;
import org.jolokia.restrictor.AllowAllRestrictor;
import org.jolokia.util.LogHandler;
import org.json.simple.JSONAware;

public class KafkaJolokia {

    // ---- MBean interfaces, shaped like Yammer 2.x JmxReporter (what Kafka uses) ----

    /** com.yammer.metrics.reporting.JmxReporter$GaugeMBean: one attribute "Value". */
    public interface GaugeMBean {
        Object getValue();
    }

    /** com.yammer.metrics.reporting.JmxReporter$MeterMBean. */
    public interface MeterMBean {
        long getCount();
        String getEventType();
        TimeUnit getRateUnit();
        double getMeanRate();
        double getOneMinuteRate();
        double getFiveMinuteRate();
        double getFifteenMinuteRate();
    }

    enum Kind { INT, LONG, DOUBLE }

    static Path valuesFile;

    static Properties load() {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(valuesFile, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            // Missing/unreadable file: behave as "no values".
        }
        return p;
    }

    static String read(String key) {
        String v = load().getProperty(key);
        return v == null ? null : v.trim();
    }

    static double readDouble(String key) {
        String v = read(key);
        return v == null || v.isEmpty() ? 0.0 : Double.parseDouble(v);
    }

    static final class Gauge implements GaugeMBean {
        final String key;
        final Kind kind;
        Gauge(String key, Kind kind) { this.key = key; this.kind = kind; }

        public Object getValue() {
            String v = read(key);
            if (v == null) {
                // Removed between sync and read: Kafka gauges never fail, report 0.
                v = "0";
            }
            switch (kind) {
                case INT: return Integer.valueOf((int) Double.parseDouble(v));
                case LONG: return Long.valueOf((long) Double.parseDouble(v));
                default: return Double.valueOf(Double.parseDouble(v));
            }
        }
    }

    static final class Meter implements MeterMBean {
        final String key;
        final String eventType;
        Meter(String key, String eventType) { this.key = key; this.eventType = eventType; }

        public long getCount() { return (long) readDouble(key + ".Count"); }
        public String getEventType() { return eventType; }
        public TimeUnit getRateUnit() { return TimeUnit.SECONDS; }
        public double getMeanRate() { return readDouble(key + ".MeanRate"); }
        public double getOneMinuteRate() { return readDouble(key + ".OneMinuteRate"); }
        public double getFiveMinuteRate() { return readDouble(key + ".FiveMinuteRate"); }
        public double getFifteenMinuteRate() { return readDouble(key + ".FifteenMinuteRate"); }
    }

    /** One fixed MBean: object name, properties key, and how to build it. */
    static final class Spec {
        final String objectName;
        final String key;
        final boolean meter;
        final Kind kind;        // gauges
        final String eventType; // meters
        Spec(String objectName, String key, boolean meter, Kind kind, String eventType) {
            this.objectName = objectName; this.key = key; this.meter = meter;
            this.kind = kind; this.eventType = eventType;
        }
        static Spec gauge(String on, String key, Kind kind) { return new Spec(on, key, false, kind, null); }
        static Spec meter(String on, String key, String eventType) { return new Spec(on, key, true, null, eventType); }

        boolean present(Properties p) {
            if (!meter) return p.containsKey(key);
            for (String k : p.stringPropertyNames()) {
                if (k.startsWith(key + ".")) return true;
            }
            return false;
        }

        Object create() throws Exception {
            return meter
                ? new StandardMBean(new Meter(key, eventType), MeterMBean.class)
                : new StandardMBean(new Gauge(key, kind), GaugeMBean.class);
        }
    }

    // Value types follow Kafka: Gauge[Int] for counts, Double for idle percent, Long for log size.
    static final List<Spec> SPECS = List.of(
        Spec.gauge("kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions", "UnderReplicatedPartitions", Kind.INT),
        Spec.gauge("kafka.server:type=ReplicaManager,name=UnderMinIsrPartitionCount", "UnderMinIsrPartitionCount", Kind.INT),
        Spec.gauge("kafka.controller:type=KafkaController,name=OfflinePartitionsCount", "OfflinePartitionsCount", Kind.INT),
        Spec.gauge("kafka.controller:type=KafkaController,name=ActiveControllerCount", "ActiveControllerCount", Kind.INT),
        Spec.gauge("kafka.network:type=SocketServer,name=NetworkProcessorAvgIdlePercent", "NetworkProcessorAvgIdlePercent", Kind.DOUBLE),
        Spec.gauge("kafka.network:type=RequestChannel,name=RequestQueueSize", "RequestQueueSize", Kind.INT),
        Spec.meter("kafka.server:type=KafkaRequestHandlerPool,name=RequestHandlerAvgIdlePercent", "RequestHandlerAvgIdlePercent", "percent"),
        Spec.meter("kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec", "BytesInPerSec", "bytes"),
        Spec.meter("kafka.server:type=BrokerTopicMetrics,name=BytesOutPerSec", "BytesOutPerSec", "bytes"),
        Spec.meter("kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec", "MessagesInPerSec", "messages")
    );

    static final String LOG_SIZE_PREFIX = "Log.Size.";

    /** Register MBeans whose keys are present, unregister those whose keys are gone. */
    static synchronized void sync(MBeanServer mbs) throws Exception {
        Properties p = load();
        Map<ObjectName, Spec> wanted = new LinkedHashMap<>();
        for (Spec s : SPECS) {
            if (s.present(p)) wanted.put(new ObjectName(s.objectName), s);
        }
        for (String k : p.stringPropertyNames()) {
            if (!k.startsWith(LOG_SIZE_PREFIX)) continue;
            String rest = k.substring(LOG_SIZE_PREFIX.length());
            int dot = rest.lastIndexOf('.');
            if (dot <= 0) continue;
            String on = "kafka.log:type=Log,name=Size,topic=" + rest.substring(0, dot)
                + ",partition=" + rest.substring(dot + 1);
            wanted.put(new ObjectName(on), Spec.gauge(on, k, Kind.LONG));
        }
        // Unregister MBeans we own whose keys disappeared.
        List<ObjectName> owned = new ArrayList<>();
        for (Spec s : SPECS) owned.add(new ObjectName(s.objectName));
        owned.addAll(mbs.queryNames(new ObjectName("kafka.log:type=Log,name=Size,*"), null));
        for (ObjectName on : owned) {
            if (!wanted.containsKey(on) && mbs.isRegistered(on)) mbs.unregisterMBean(on);
        }
        for (Map.Entry<ObjectName, Spec> e : wanted.entrySet()) {
            if (!mbs.isRegistered(e.getKey())) mbs.registerMBean(e.getValue().create(), e.getKey());
        }
    }

    // ---- HTTP glue: com.sun.net.httpserver -> org.jolokia.http.HttpRequestHandler ----

    static final String CONTEXT = "/jolokia";

    static Map<String, String[]> parseQuery(String rawQuery) {
        Map<String, List<String>> acc = new LinkedHashMap<>();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String part : rawQuery.split("&")) {
                if (part.isEmpty()) continue;
                int eq = part.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
                acc.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
            }
        }
        Map<String, String[]> out = new HashMap<>();
        acc.forEach((k, v) -> out.put(k, v.toArray(new String[0])));
        return out;
    }

    static void handle(HttpExchange ex, HttpRequestHandler handler, MBeanServer mbs) throws IOException {
        JSONAware json;
        try {
            sync(mbs);
            String delay = read("jolokia.delayMs");
            if (delay != null && !delay.isEmpty()) Thread.sleep(Long.parseLong(delay));

            URI uri = ex.getRequestURI();
            String path = uri.getPath();
            String pathInfo = path.length() > CONTEXT.length() ? path.substring(CONTEXT.length()) : "/";
            Map<String, String[]> params = parseQuery(uri.getRawQuery());
            if (params.containsKey("p")) pathInfo = params.get("p")[0]; // Jolokia's ?p= path form
            String method = ex.getRequestMethod();
            if ("GET".equals(method)) {
                json = handler.handleGetRequest(uri.toString(), pathInfo, params);
            } else if ("POST".equals(method)) {
                try (InputStream body = ex.getRequestBody()) {
                    json = handler.handlePostRequest(uri.toString(), body, "UTF-8", params);
                }
            } else {
                ex.sendResponseHeaders(405, -1);
                ex.close();
                return;
            }
        } catch (Throwable t) {
            json = handler.handleThrowable(t);
        }
        // Like the Jolokia JVM agent: HTTP 200 always, the real status is in the JSON body.
        byte[] bytes = json.toJSONString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: KafkaJolokia <port|0> <values.properties>");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        valuesFile = Paths.get(args[1]);

        MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
        sync(mbs);

        LogHandler log = new LogHandler() {
            public void debug(String m) { }
            public void info(String m) { System.err.println("jolokia: " + m); }
            public void error(String m, Throwable t) {
                System.err.println("jolokia error: " + m);
                if (t != null) t.printStackTrace();
            }
        };
        Configuration config = new Configuration(
            ConfigKey.AGENT_ID, "kafscope-test",
            ConfigKey.DISCOVERY_ENABLED, "false");
        BackendManager backend = new BackendManager(config, log, new AllowAllRestrictor());
        HttpRequestHandler handler = new HttpRequestHandler(config, backend, log);

        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext(CONTEXT, ex -> {
            try {
                handle(ex, handler, mbs);
            } catch (IOException e) {
                ex.close();
            }
        });
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "jolokia-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        System.out.println("LISTENING " + server.getAddress().getPort());
        System.out.flush();
        // The HTTP dispatcher thread is non-daemon and keeps the JVM alive until killed.
    }
}
