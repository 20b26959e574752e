package io.clickstream.etl.redis;

import io.clickstream.etl.config.Options;
import java.io.File;
import java.security.KeyStore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/** The TLS pieces of a Redis connection: whom to trust, and that the certificate names the host connected to. */
final class RedisTls {
    private RedisTls() {}

    /** Sockets that trust the certificates of the trust store (the JVM's default ones when it has none). */
    static SSLSocketFactory socketFactory(RedisSettings.Tls tls) {
        if (tls.trustStore() == null) {
            return (SSLSocketFactory) SSLSocketFactory.getDefault();
        }
        try {
            char[] password =
                    tls.trustStorePassword() == null || tls.trustStorePassword().isEmpty()
                            ? null
                            : tls.trustStorePassword().toCharArray();
            KeyStore store = KeyStore.getInstance(new File(tls.trustStore()), password); // PKCS12 or JKS, by content
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (Exception e) {
            throw new IllegalArgumentException(
                    Options.REDIS_TLS_TRUST_STORE.key() + ": cannot read " + tls.trustStore() + " as a PKCS12 or JKS"
                            + " trust store (" + e.getMessage() + "); check the file and its password"
                            + " (CLICKSTREAM_REDIS_TLS_TRUST_STORE_PASSWORD or redis.tls.trust-store-password-file)",
                    e);
        }
    }

    /** Host name checking, as HTTPS does it: a certificate for another host is refused. */
    static SSLParameters checkHostName() {
        SSLParameters p = new SSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        return p;
    }
}
