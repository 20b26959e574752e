package io.clickstream.etl.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JobConfigTest {

    @Test
    void defaultsApplyWhenNothingIsSet() {
        JobConfig config = JobConfig.of(Map.of());

        assertThat(config.get(Options.KAFKA_TOPICS))
                .containsExactly("clickstream-web", "clickstream-app", "clickstream-backend");
        assertThat(config.get(Options.SINK_BATCH_BYTES)).isEqualTo(32L << 20);
        assertThat(config.get(Options.SINK_FLUSH_INTERVAL)).isEqualTo(Duration.ofMillis(500));
        assertThat(config.get(Options.KAFKA_START_TIMESTAMP)).isNull();
    }

    @Test
    void readsFlatAndNestedYamlAndLaterSourcesWin(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("c.yaml");
        Files.writeString(
                file,
                "kafka.group-id: from-file\nkafka:\n  topics: [a, b]\nclickhouse:\n  sink:\n    batch-rows: 10\n"
                        + "kafka.properties.security.protocol: SASL_SSL\n");

        JobConfig config = JobConfig.load(
                file, Map.of("CLICKSTREAM_KAFKA_GROUP_ID", "from-env"), Map.of("clickhouse.sink.batch-rows", "20"));

        assertThat(config.get(Options.KAFKA_TOPICS)).containsExactly("a", "b");
        assertThat(config.get(Options.KAFKA_GROUP_ID)).isEqualTo("from-env");
        assertThat(config.get(Options.SINK_BATCH_ROWS)).isEqualTo(20);
        assertThat(config.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL");
        assertThat(config.describe())
                .contains("kafka.properties.security.protocol: ***")
                .doesNotContain("SASL_SSL");
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "kafka.group-idd|x|Unknown key 'kafka.group-idd' in --set (did you mean 'kafka.group-id'?)",
                "clickhouse.sink.flush-interval|soon|Invalid value for 'clickhouse.sink.flush-interval' (duration): 'soon'",
                "clickhouse.sink.flush-interval|0s|'clickhouse.sink.flush-interval': '0s': must be more than zero",
                "clickhouse.sink.batch-rows|-1|'clickhouse.sink.batch-rows': '-1': must be more than zero",
                "kafka.backlog-lag|-1s|Invalid value for 'kafka.backlog-lag' (duration): '-1s'",
                "clickhouse.sink.batch-rows|many|'clickhouse.sink.batch-rows' (integer): 'many': not a whole number",
                "clickhouse.sink.batch-bytes|16 parsecs|unknown unit 'parsecs'",
                "kafka.bounded|yes|'kafka.bounded' (boolean): 'yes': expected true or false",
                "kafka.start-from|beginning|'kafka.start-from': 'beginning': expected earliest, latest, group-offsets or timestamp",
                "kafka.start-timestamp|last tuesday|'kafka.start-timestamp': 'last tuesday': expected epoch milliseconds or ISO-8601",
                "clickhouse.database|db; DROP TABLE x|'clickhouse.database'",
                "kafka.topics|' , '|'kafka.topics' (list)",
                "clickhouse.password|hunter2|secrets are read from CLICKSTREAM_CLICKHOUSE_PASSWORD",
                "clickhouse.password-file|/nonexistent/pw|'clickhouse.password-file': cannot read /nonexistent/pw"
            })
    void rejectsBadSettingNamingTheKey(String key, String value, String message) {
        assertThatThrownBy(() -> JobConfig.of(Map.of(key, value)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void theLagsWhereZeroMeansOffOrAlwaysTakeZero() {
        JobConfig config = JobConfig.of(Map.of("kafka.backlog-lag", "0s", "redis.hold-writes-lag", "0s"));

        assertThat(config.get(Options.KAFKA_BACKLOG_LAG)).isZero();
        assertThat(config.get(Options.REDIS_HOLD_WRITES_LAG)).isZero();
    }

    @Test
    void secretValueIsNeverEchoed() {
        assertThatThrownBy(() -> JobConfig.of(Map.of("clickhouse.password", "hunter2")))
                .message()
                .doesNotContain("hunter2");
    }

    @Test
    void timestampStartNeedsATimestamp() {
        assertThatThrownBy(() -> JobConfig.of(Map.of("kafka.start-from", "timestamp")))
                .hasMessageContaining("'kafka.start-from' is 'timestamp' but 'kafka.start-timestamp' is not set");
    }

    @Test
    void reportsAllProblemsAtOnce() {
        assertThatThrownBy(() -> JobConfig.of(Map.of("kafka.bounded", "maybe", "clickhouse.sink.batch-rows", "0")))
                .hasMessageContaining("kafka.bounded")
                .hasMessageContaining("clickhouse.sink.batch-rows");
    }

    @Test
    void missingConfigFileIsNamed() {
        assertThatThrownBy(() -> JobConfig.load(Path.of("/nope/c.yaml"), Map.of(), Map.of()))
                .hasMessageContaining("Config file not found: /nope/c.yaml");
    }

    @Test
    void unknownArgumentIsReported() {
        assertThatThrownBy(() -> JobConfig.fromArgs(new String[] {"--bootstrap", "x"}, Map.of()))
                .hasMessageContaining("Unknown argument '--bootstrap'");
    }

    @Test
    void passwordComesFromEnvironmentOrFile(@TempDir Path dir) throws Exception {
        Path pw = dir.resolve("pw");
        Files.writeString(pw, "s3cret\n");
        JobConfig config = JobConfig.of(Map.of("clickhouse.password-file", pw.toString()));

        assertThat(config.clickHousePassword(Map.of())).isEqualTo("s3cret");
        assertThat(config.clickHousePassword(Map.of("CLICKSTREAM_CLICKHOUSE_PASSWORD", "env")))
                .isEqualTo("env");
        assertThat(JobConfig.of(Map.of()).clickHousePassword(Map.of())).isEmpty();
    }

    @Test
    void referenceConfigListsEveryOptionWithItsDefault() throws Exception {
        Path reference = Path.of("flink-conf/clickstream.yaml");
        String text = Files.readString(reference);
        List<ConfigOption<?>> documented =
                Options.all().stream().filter(o -> !o.isSecret()).toList();

        for (ConfigOption<?> option : documented) {
            String expected = option.key() + ": " + (option.defaultText() == null ? "" : option.defaultText());
            assertThat(text)
                    .as("flink-conf/clickstream.yaml documents " + option.key())
                    .containsPattern("(?m)^#? ?" + java.util.regex.Pattern.quote(option.key()) + ": ");
            if (option.defaultText() != null && !option.key().equals("clickhouse.urls")) {
                assertThat(text).as("default of " + option.key()).contains(expected);
            }
        }
        // The reference file itself must load.
        assertThat(JobConfig.load(reference, Map.of(), Map.of()).get(Options.CLICKHOUSE_URLS))
                .hasSize(4);
    }

    @Test
    void theOldNamesOfTheRedisBatchingKeysAreStillReadAsTheNewOnes() {
        JobConfig config = JobConfig.of(Map.of("session.batch-size", "97", "session.cache-size", "5"));
        assertThat(config.get(Options.REDIS_BATCH_SIZE)).isEqualTo(97);
        assertThat(config.get(Options.REDIS_CACHE_SIZE)).isEqualTo(5);
        JobConfig fromEnv = assertDoesNotThrowLoad(Map.of("CLICKSTREAM_SESSION_BATCH_DELAY", "250ms"));
        assertThat(fromEnv.get(Options.REDIS_BATCH_DELAY)).isEqualTo(java.time.Duration.ofMillis(250));
        assertThat(assertDoesNotThrowLoad(Map.of(
                                "CLICKSTREAM_SESSION_BATCH_DELAY", "250ms", "CLICKSTREAM_REDIS_BATCH_DELAY", "50ms"))
                        .get(Options.REDIS_BATCH_DELAY))
                .as("the new name wins")
                .isEqualTo(java.time.Duration.ofMillis(50));
    }

    private static JobConfig assertDoesNotThrowLoad(Map<String, String> env) {
        try {
            return JobConfig.load(null, env, Map.of());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theConfigurationPageTableMatchesTheOptions() throws Exception {
        assertThat(Files.readString(Path.of("docs/configuration.md"))).contains(ConfigDoc.markdown());
    }

    @Test
    void joinRulesAreAYamlListOfObjectsAndBadOnesNameTheRule(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("job.yaml");
        Files.writeString(
                file,
                "join:\n  rules:\n    - from: profile\n      fields: [properties.age]\n"
                        + "    - name: video\n      from: catalog\n      key: properties.video_id\n      fields: [properties.title]\n");
        JobConfig config = JobConfig.load(file, Map.of(), Map.of());
        assertThat(io.clickstream.etl.join.JoinRule.parseAll(config.get(Options.JOIN_RULES)))
                .extracting(io.clickstream.etl.join.JoinRule::name)
                .containsExactly("profile", "video");

        Files.writeString(file, "join.rules:\n  - from: profile\n    fields: [age]\n");
        assertThatThrownBy(() -> JobConfig.load(file, Map.of(), Map.of()))
                .hasMessageContaining("join.rules")
                .hasMessageContaining("rule 1.fields: 'age' is not a field");
    }
}
