package io.clickstream.etl.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.redis.HashStore;
import io.clickstream.etl.redis.RedisErrors;
import io.clickstream.etl.redis.RedisHashStore;
import io.clickstream.etl.redis.RedisSettings;
import io.clickstream.etl.testing.TestStack;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis over TLS: Debian's redis-server on a TLS port with a certificate made here (keytool), the job's store
 * trusting it through redis.tls.trust-store; a trust store without it, or a certificate for another host, is a
 * refusal that fails the job with what to fix, not a wait.
 */
class RedisTlsITCase {
    private static final String PASSWORD = "trust-me";

    @Test
    void theStoreTalksTlsToATrustedServerAndACertificateItCannotTrustFailsNamingTheTrustStore(@TempDir Path dir)
            throws Exception {
        TestStack.requireRunning();
        Path trusted = certificate(dir, "server", "ip:127.0.0.1");
        Path stranger = certificate(dir, "stranger", "ip:127.0.0.1");
        Path otherHost = certificate(dir, "other-host", "dns:redis.example.com");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process redis = startTlsRedis(dir, "server", port);
        try {
            JobConfig config = JobConfig.of(Map.of(
                    "redis.host", "127.0.0.1",
                    "redis.port", Integer.toString(port),
                    "redis.tls", "true",
                    "redis.tls.trust-store", trusted.toString(),
                    "redis.key-prefix", TestStack.unique("tls")));
            RedisSettings settings =
                    RedisSettings.from(config, Map.of("CLICKSTREAM_REDIS_TLS_TRUST_STORE_PASSWORD", PASSWORD));
            assertThat(settings.toString()).doesNotContain(PASSWORD);
            try (RedisHashStore store = new RedisHashStore(settings)) {
                store.write(
                        Map.of(
                                "user:u1",
                                new HashStore.Changes(
                                        Map.of("h", "over tls".getBytes(StandardCharsets.UTF_8)),
                                        List.of(),
                                        HashStore.Mode.REPLACE)),
                        60_000);
                assertThat(store.load(List.of(new HashStore.Lookup("user:u1", List.of())))
                                .get(0)
                                .fields()
                                .get("h"))
                        .isEqualTo("over tls".getBytes(StandardCharsets.UTF_8));
            }

            for (Path wrong : List.of(stranger, otherHost)) {
                // otherHost: the server presents its own certificate; a trust store of another one refuses it too.
                RedisSettings refusing = RedisSettings.from(
                        config.with("redis.tls.trust-store", wrong.toString()),
                        Map.of("CLICKSTREAM_REDIS_TLS_TRUST_STORE_PASSWORD", PASSWORD));
                try (RedisHashStore store = new RedisHashStore(refusing)) {
                    assertThatThrownBy(() -> store.load(List.of(new HashStore.Lookup("user:u1", List.of()))))
                            .satisfies(e -> {
                                assertThat(RedisErrors.kind(e)).isEqualTo(RedisErrors.Kind.PERMANENT);
                                assertThat(RedisErrors.advice(e)).contains("redis.tls.trust-store");
                            });
                }
            }
        } finally {
            redis.destroy();
            redis.waitFor(10, TimeUnit.SECONDS);
        }

        // A certificate that names another host: refused by the host check even though it is trusted.
        int port2;
        try (ServerSocket s = new ServerSocket(0)) {
            port2 = s.getLocalPort();
        }
        Process other = startTlsRedis(dir, "other-host", port2);
        try {
            RedisSettings settings = RedisSettings.from(
                    JobConfig.of(Map.of(
                            "redis.host",
                            "127.0.0.1",
                            "redis.port",
                            Integer.toString(port2),
                            "redis.tls",
                            "true",
                            "redis.tls.trust-store",
                            otherHost.toString())),
                    Map.of("CLICKSTREAM_REDIS_TLS_TRUST_STORE_PASSWORD", PASSWORD));
            try (RedisHashStore store = new RedisHashStore(settings)) {
                assertThatThrownBy(() -> store.load(List.of(new HashStore.Lookup("user:u1", List.of()))))
                        .satisfies(e -> assertThat(RedisErrors.kind(e)).isEqualTo(RedisErrors.Kind.PERMANENT));
            }
        } finally {
            other.destroy();
            other.waitFor(10, TimeUnit.SECONDS);
        }

        assertThatThrownBy(() -> RedisSettings.from(
                        JobConfig.of(Map.of("redis.tls", "true", "redis.tls.trust-store", trusted.toString())),
                        Map.of("CLICKSTREAM_REDIS_TLS_TRUST_STORE_PASSWORD", "wrong")))
                .hasMessageContaining("redis.tls.trust-store: cannot read");
    }

    /**
     * A self-signed certificate for {@code san} (keytool), written as {@code name}.crt and {@code name}.key (PEM, for
     * redis-server), and a trust store {@code name}-trust.p12 holding only the certificate; returns the trust store.
     */
    private static Path certificate(Path dir, String name, String san) throws Exception {
        Path keys = dir.resolve(name + ".p12");
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "keytool")
                                .toString(),
                        "-genkeypair",
                        "-alias",
                        name,
                        "-keyalg",
                        "RSA",
                        "-keysize",
                        "2048",
                        "-validity",
                        "2",
                        "-dname",
                        "CN=" + name,
                        "-ext",
                        "san=" + san,
                        "-storetype",
                        "PKCS12",
                        "-keystore",
                        keys.toString(),
                        "-storepass",
                        PASSWORD)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        KeyStore ks = KeyStore.getInstance(keys.toFile(), PASSWORD.toCharArray());
        PrivateKey key = (PrivateKey) ks.getKey(name, PASSWORD.toCharArray());
        Certificate cert = ks.getCertificate(name);
        Files.writeString(dir.resolve(name + ".key"), pem("PRIVATE KEY", key.getEncoded()));
        Files.writeString(dir.resolve(name + ".crt"), pem("CERTIFICATE", cert.getEncoded()));
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry(name, cert);
        Path trustFile = dir.resolve(name + "-trust.p12");
        try (OutputStream o = Files.newOutputStream(trustFile)) {
            trust.store(o, PASSWORD.toCharArray());
        }
        return trustFile;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static Process startTlsRedis(Path dir, String name, int port) throws Exception {
        Process p = new ProcessBuilder(
                        "redis-server",
                        "--port",
                        "0",
                        "--tls-port",
                        Integer.toString(port),
                        "--bind",
                        "127.0.0.1",
                        "--tls-cert-file",
                        dir.resolve(name + ".crt").toString(),
                        "--tls-key-file",
                        dir.resolve(name + ".key").toString(),
                        "--tls-ca-cert-file",
                        dir.resolve(name + ".crt").toString(),
                        "--tls-auth-clients",
                        "no",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--dir",
                        dir.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + "-redis.log").toFile())
                .start();
        TestStack.await(
                "redis-server with TLS on port " + port,
                Duration.ofSeconds(20),
                () -> Files.exists(dir.resolve(name + "-redis.log"))
                        && TestStack.unchecked(() -> Files.readString(dir.resolve(name + "-redis.log"))
                                        .contains("Ready to accept connections"))
                                .getAsBoolean());
        return p;
    }
}
