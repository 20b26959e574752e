package io.clickstream.etl.privacy;

import io.clickstream.etl.event.DeadLetter;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * Dead letters under the privacy settings: their key (the user id as the producer keyed the input) becomes its
 * pseudonym when user ids are pseudonymized, and their payload — raw user ids, IPs, whatever the input held — is
 * dropped unless privacy.dead-letter-payload says keep. What stays (reason, detail, source position) tells what was
 * wrong and where the input is, while Kafka keeps it.
 */
public final class PrivateDeadLetters extends RichMapFunction<DeadLetter, DeadLetter> {
    private final PrivacySettings settings;
    private final boolean keepPayload;
    private transient Pseudonymizer pseudonymizer;

    public PrivateDeadLetters(PrivacySettings settings, boolean keepPayload) {
        this.settings = settings;
        this.keepPayload = keepPayload;
    }

    @Override
    public void open(OpenContext context) {
        pseudonymizer = settings.pseudonymize().contains("user_id") ? settings.pseudonymizer(System.getenv()) : null;
    }

    @Override
    public DeadLetter map(DeadLetter d) {
        if (pseudonymizer != null && d.key != null) {
            d.key = pseudonymizer
                    .pseudonym(new String(d.key, StandardCharsets.UTF_8))
                    .getBytes(StandardCharsets.UTF_8);
        }
        if (!keepPayload) {
            d.payload = null;
        }
        return d;
    }
}
