package io.clickstream.etl.privacy;

import io.clickstream.etl.config.JobConfig;
import io.clickstream.etl.config.Options;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the job keeps of personal data: the IP after geo, which fields become pseudonyms, and where their key is.
 * The key itself is never part of the settings (they travel in the job graph): it is read where it is used.
 */
public record PrivacySettings(IpHandling ip, List<String> pseudonymize, String keyFile) implements Serializable {
    public static final String KEY_ENV = "CLICKSTREAM_PRIVACY_KEY";
    private static final int MIN_KEY_BYTES = 16;

    public PrivacySettings {
        pseudonymize = pseudonymize == null ? List.of() : List.copyOf(pseudonymize);
    }

    public static PrivacySettings from(JobConfig config) {
        return new PrivacySettings(
                        IpHandling.of(config.get(Options.PRIVACY_IP)),
                        config.get(Options.PRIVACY_PSEUDONYMIZE),
                        config.get(Options.PRIVACY_KEY_FILE))
                .sanityCheck();
    }

    public PrivacySettings sanityCheck() {
        List<String> unknown = Pseudonymizer.unknown(pseudonymize);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(Options.PRIVACY_PSEUDONYMIZE.key() + ": cannot pseudonymize " + unknown
                    + " (known: " + Pseudonymizer.FIELDS + " and properties.<name>)");
        }
        return this;
    }

    public boolean changesEvents() {
        return ip != IpHandling.KEEP || !pseudonymize.isEmpty();
    }

    /** The pseudonymizer, or null when no field is to be replaced. Reads the key: call where it is used. */
    public Pseudonymizer pseudonymizer(Map<String, String> env) {
        return pseudonymize.isEmpty() ? null : new Pseudonymizer(key(env), pseudonymize);
    }

    /** The key from {@code privacy.key-file}, else from {@value #KEY_ENV}; fails saying what to set. */
    public byte[] key(Map<String, String> env) {
        byte[] key;
        String where;
        if (keyFile != null && !keyFile.isBlank()) {
            where = Options.PRIVACY_KEY_FILE.key() + " " + keyFile;
            try {
                key = Files.readString(Path.of(keyFile), StandardCharsets.UTF_8)
                        .strip()
                        .getBytes(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalStateException(
                        "cannot read the pseudonymization key (" + where + "): " + e.getMessage());
            }
        } else if (env.get(KEY_ENV) != null) {
            where = "the environment variable " + KEY_ENV;
            key = env.get(KEY_ENV).strip().getBytes(StandardCharsets.UTF_8);
        } else {
            throw new IllegalStateException(Options.PRIVACY_PSEUDONYMIZE.key() + " is set but there is no key: set "
                    + Options.PRIVACY_KEY_FILE.key() + " or " + KEY_ENV
                    + " (the same key in every run: a new key gives "
                    + "every user a new pseudonym, and new sessions)");
        }
        if (key.length < MIN_KEY_BYTES) {
            throw new IllegalStateException("the pseudonymization key in " + where + " is " + key.length
                    + " bytes; use at least " + MIN_KEY_BYTES + " (e.g. `openssl rand -hex 32`)");
        }
        return key;
    }
}
