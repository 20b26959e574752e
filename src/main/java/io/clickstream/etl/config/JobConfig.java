package io.clickstream.etl.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The job's settings, validated. Values come, later ones winning, from option defaults, a YAML file
 * (flink-conf/clickstream.yaml), environment variables (CLICKSTREAM_KAFKA_TOPICS for kafka.topics) and
 * {@code --set key=value} arguments. Every problem is reported at start with the key it concerns.
 *
 * <p>Keys under {@code kafka.properties.} are passed to the Kafka clients as they are (security settings and
 * the like).
 */
public final class JobConfig implements Serializable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JobConfig.class);
    private static final long serialVersionUID = 1L;

    public static final String KAFKA_PROPERTIES_PREFIX = "kafka.properties.";
    private static final Map<String, ConfigOption<?>> OPTIONS = Options.all().stream()
            .collect(Collectors.toMap(ConfigOption::key, o -> o, (a, b) -> a, LinkedHashMap::new));

    private final Map<String, String> values;

    private JobConfig(Map<String, String> values) {
        this.values = Collections.unmodifiableMap(new TreeMap<>(values));
    }

    /** Parses {@code --config FILE} and {@code --set key=value} from a job's arguments. */
    public static JobConfig fromArgs(String[] args, Map<String, String> env) throws IOException {
        Path file = null;
        Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--config") && i + 1 < args.length) {
                file = Path.of(args[++i]);
            } else if (arg.equals("--set") && i + 1 < args.length) {
                String kv = args[++i];
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--set expects key=value, got '" + kv + "'");
                }
                overrides.put(kv.substring(0, eq).trim(), kv.substring(eq + 1));
            } else {
                throw new IllegalArgumentException(
                        "Unknown argument '" + arg + "'. Usage: [--config FILE] [--set key=value]...");
            }
        }
        return load(file, env, overrides);
    }

    /** Builds a validated config; {@code file} may be null. */
    public static JobConfig load(Path file, Map<String, String> env, Map<String, String> overrides) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("Config file not found: " + file.toAbsolutePath());
            }
            readYaml(file, problems).forEach((k, v) -> put(values, k, v, "in " + file, problems));
        }
        RENAMED.forEach((old, now) -> {
            String name = "CLICKSTREAM_"
                    + old.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
            if (env.containsKey(name) && !env.containsKey(OPTIONS.get(now).envVariable())) {
                put(values, old, env.get(name), "in the environment (" + name + ")", problems);
            }
        });
        for (ConfigOption<?> option : OPTIONS.values()) {
            String fromEnv = env.get(option.envVariable());
            if (fromEnv != null) {
                values.put(option.key(), fromEnv);
            }
        }
        overrides.forEach((k, v) -> put(values, k, v, "in --set", problems));
        JobConfig config = new JobConfig(values);
        config.validate(problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Invalid configuration:\n  - " + String.join("\n  - ", problems));
        }
        return config;
    }

    /** A config from plain key/values, e.g. in tests. */
    public static JobConfig of(Map<String, String> values) {
        try {
            return load(null, Map.of(), values);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Keys renamed since, still read: the old name to the new one. */
    static final Map<String, String> RENAMED = Map.of(
            "session.batch-size", "redis.batch-size",
            "session.batch-delay", "redis.batch-delay",
            "session.cache-size", "redis.cache-size");

    private static void put(Map<String, String> values, String key, String value, String where, List<String> problems) {
        if (RENAMED.containsKey(key)) {
            String now = RENAMED.get(key);
            LOG.warn(
                    "'{}' {} is read as '{}', its new name: it sets the batching of every Redis-backed step, not only "
                            + "sessions'. Rename it; the old name will go.",
                    key,
                    where,
                    now);
            key = now;
        }
        ConfigOption<?> option = OPTIONS.get(key);
        if (option == null && !key.startsWith(KAFKA_PROPERTIES_PREFIX)) {
            problems.add("Unknown key '" + key + "' " + where + suggestion(key));
        } else if (option != null && option.isSecret()) {
            problems.add("'" + key + "' " + where + ": secrets are read from " + option.envVariable() + " or " + key
                    + "-file only");
        } else {
            values.put(key, value);
        }
    }

    private static String suggestion(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : OPTIONS.keySet()) {
            int d = distance(key, candidate);
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        return best != null && bestDistance <= Math.max(3, key.length() / 4) ? " (did you mean '" + best + "'?)" : "";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static Map<String, String> readYaml(Path file, List<String> problems) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        Map<String, String> flat = new LinkedHashMap<>();
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("Config file " + file + " is not valid YAML: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return flat;
        }
        if (!root.isObject()) {
            problems.add("Config file " + file + " must hold key: value pairs");
            return flat;
        }
        flatten("", root, flat);
        return flat;
    }

    /** Accepts both flat (kafka.group-id: x) and nested (kafka: {group-id: x}) YAML. */
    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> e = fields.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else if (node.isArray() && node.size() > 0 && node.get(0).isContainerNode()) {
            out.put(prefix, node.toString()); // a list of objects (join.rules) stays JSON
        } else if (node.isArray()) {
            List<String> items = new ArrayList<>();
            node.forEach(n -> items.add(n.asText()));
            out.put(prefix, String.join(",", items));
        } else if (!node.isNull()) {
            out.put(prefix, node.asText());
        }
    }

    private void validate(List<String> problems) {
        for (ConfigOption<?> option : OPTIONS.values()) {
            String text = values.get(option.key());
            if (text != null) {
                try {
                    option.parse(text);
                } catch (IllegalArgumentException e) {
                    problems.add(e.getMessage());
                }
            }
        }
        if ("timestamp".equals(values.get(Options.KAFKA_START_FROM.key()))
                && values.get(Options.KAFKA_START_TIMESTAMP.key()) == null) {
            problems.add("'kafka.start-from' is 'timestamp' but 'kafka.start-timestamp' is not set");
        }
        for (ConfigOption<String> file : List.of(Options.CLICKHOUSE_PASSWORD_FILE, Options.REDIS_PASSWORD_FILE)) {
            String path = values.get(file.key());
            if (path != null && !Files.isReadable(Path.of(path))) {
                problems.add("'" + file.key() + "': cannot read " + path);
            }
        }
    }

    /** The option's value, or its default; null when neither is set. */
    public <T> T get(ConfigOption<T> option) {
        String text = values.get(option.key());
        if (text == null) {
            text = option.defaultText();
        }
        return text == null ? null : option.parse(text);
    }

    /** The ClickHouse password from CLICKSTREAM_CLICKHOUSE_PASSWORD or clickhouse.password-file; "" if neither. */
    public String clickHousePassword(Map<String, String> env) {
        return secret(Options.CLICKHOUSE_PASSWORD, Options.CLICKHOUSE_PASSWORD_FILE, env);
    }

    /** The Redis password from CLICKSTREAM_REDIS_PASSWORD or redis.password-file; "" if neither. */
    public String redisPassword(Map<String, String> env) {
        return secret(Options.REDIS_PASSWORD, Options.REDIS_PASSWORD_FILE, env);
    }

    public String redisTrustStorePassword(Map<String, String> env) {
        return secret(Options.REDIS_TLS_TRUST_STORE_PASSWORD, Options.REDIS_TLS_TRUST_STORE_PASSWORD_FILE, env);
    }

    private String secret(ConfigOption<String> secret, ConfigOption<String> fileOption, Map<String, String> env) {
        String fromEnv = env.get(secret.envVariable());
        if (fromEnv != null) {
            return fromEnv;
        }
        String file = get(fileOption);
        if (file == null) {
            return "";
        }
        try {
            List<String> lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
            return lines.isEmpty() ? "" : lines.get(0).trim();
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "'" + fileOption.key() + "': cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Entries under kafka.properties., without the prefix. */
    public Map<String, String> kafkaProperties() {
        Map<String, String> props = new TreeMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(KAFKA_PROPERTIES_PREFIX)) {
                props.put(k.substring(KAFKA_PROPERTIES_PREFIX.length()), v);
            }
        });
        return props;
    }

    /**
     * What every Kafka client of the job and its tools starts from: the brokers and the kafka.properties.* entries
     * (security, config providers). A new, mutable map: add the client's own settings to it.
     */
    public Map<String, String> kafkaClientProperties() {
        Map<String, String> props = new java.util.HashMap<>(kafkaProperties());
        props.put("bootstrap.servers", get(Options.KAFKA_BOOTSTRAP_SERVERS));
        return props;
    }

    /** A copy with one more value set (validated like --set). */
    public JobConfig with(String key, String value) {
        Map<String, String> merged = new LinkedHashMap<>(values);
        merged.put(key, value);
        return of(merged);
    }

    /** The effective settings, for the log at start (kafka.properties values hidden: they may hold credentials). */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (ConfigOption<?> option : OPTIONS.values()) {
            if (!option.isSecret()) {
                Object v = get(option);
                sb.append("  ")
                        .append(option.key())
                        .append(": ")
                        .append(v == null ? "(unset)" : v)
                        .append('\n');
            }
        }
        kafkaProperties()
                .keySet()
                .forEach(k -> sb.append("  ")
                        .append(KAFKA_PROPERTIES_PREFIX)
                        .append(k)
                        .append(": ***\n"));
        return sb.toString();
    }
}
