package io.clickstream.etl.redis;

import static io.clickstream.etl.config.SanityChecks.positive;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/** Where Redis is and how to log in; the password comes from the environment or a file, never the config text. */
public record RedisSettings(
        String host,
        int port,
        List<String> clusterNodes,
        String user,
        String password,
        int timeoutMs,
        String keyPrefix,
        Tls tls)
        implements Serializable {

    /** TLS to Redis: the trust store (null: the JVM's default) and its password (may be empty). */
    public record Tls(String trustStore, String trustStorePassword) implements Serializable {
        @Override
        public String toString() {
            return "Tls[" + (trustStore == null ? "JVM default trust store" : trustStore) + "]";
        }
    }

    /** One server at host:port, without TLS. */
    public RedisSettings(String host, int port, String user, String password, int timeoutMs, String keyPrefix) {
        this(host, port, List.of(), user, password, timeoutMs, keyPrefix, null);
    }

    /** A server or a cluster, without TLS. */
    public RedisSettings(
            String host,
            int port,
            List<String> clusterNodes,
            String user,
            String password,
            int timeoutMs,
            String keyPrefix) {
        this(host, port, clusterNodes, user, password, timeoutMs, keyPrefix, null);
    }

    public static RedisSettings from(JobConfig config, Map<String, String> env) {
        return new RedisSettings(
                        config.get(Options.REDIS_HOST),
                        config.get(Options.REDIS_PORT),
                        config.get(Options.REDIS_CLUSTER_NODES) == null
                                ? List.of()
                                : List.copyOf(config.get(Options.REDIS_CLUSTER_NODES)),
                        config.get(Options.REDIS_USER),
                        config.redisPassword(env),
                        (int) config.get(Options.REDIS_TIMEOUT).toMillis(),
                        config.get(Options.REDIS_KEY_PREFIX),
                        config.get(Options.REDIS_TLS)
                                ? new Tls(
                                        config.get(Options.REDIS_TLS_TRUST_STORE), config.redisTrustStorePassword(env))
                                : null)
                .sanityCheck();
    }

    /** Whether the state lives on a Redis Cluster (redis.cluster-nodes) rather than one server. */
    public boolean cluster() {
        return !clusterNodes.isEmpty();
    }

    /** Returns this, or throws naming the option whose value cannot work. */
    public RedisSettings sanityCheck() {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException(Options.REDIS_HOST.key() + " is empty: set the Redis server's host");
        }
        if (port <= 0 || port > 65_535) {
            throw new IllegalArgumentException(
                    Options.REDIS_PORT.key() + " must be a TCP port (1..65535), not " + port);
        }
        for (String node : clusterNodes) {
            int colon = node.lastIndexOf(':');
            boolean port = false;
            try {
                int p = colon > 0 ? Integer.parseInt(node.substring(colon + 1)) : 0;
                port = p > 0 && p < 65_536;
            } catch (NumberFormatException e) {
                // port stays false
            }
            if (!port) {
                throw new IllegalArgumentException(
                        Options.REDIS_CLUSTER_NODES.key() + ": '" + node + "' is not host:port (e.g. 10.0.0.5:6379)");
            }
        }
        positive(timeoutMs, Options.REDIS_TIMEOUT);
        if (tls != null && tls.trustStore() != null) {
            RedisTls.socketFactory(tls); // a trust store that cannot be read fails here, naming its option
        }
        if (keyPrefix == null || keyPrefix.isBlank()) {
            throw new IllegalArgumentException(Options.REDIS_KEY_PREFIX.key()
                    + " is empty: every key of the job's state lives under it, and a replay must find them again");
        }
        return this;
    }

    /** The per-user hashes ({@code user:<id>}) and, for reading, the values of the layout before them. */
    public HashStore.Factory users() {
        RedisSettings self = this;
        return () -> new RedisHashStore(self);
    }

    @Override
    public String toString() {
        return "RedisSettings[" + (cluster() ? "cluster " + clusterNodes : host + ":" + port) + ", user=" + user
                + ", prefix=" + keyPrefix + (tls == null ? "" : ", " + tls) + "]";
    }
}
