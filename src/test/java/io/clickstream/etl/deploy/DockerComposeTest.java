package io.clickstream.etl.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml cannot be started on this machine (no Docker engine), so its file is checked instead: nothing
 * is published beyond this host, no service runs without the password it needs, no password is in the repository,
 * and every file it mounts exists.
 */
class DockerComposeTest {
    private static final Path COMPOSE = Path.of("docker-compose.yml");

    private static JsonNode services() throws Exception {
        return new YAMLMapper().readTree(COMPOSE.toFile()).get("services");
    }

    @Test
    void everyPublishedPortIsBoundToThisHostOnly() throws Exception {
        List<String> published = new ArrayList<>();
        services()
                .fields()
                .forEachRemaining(
                        s -> s.getValue().path("ports").forEach(p -> published.add(s.getKey() + " " + p.asText())));

        assertThat(published).hasSize(9).allSatisfy(p -> assertThat(p).contains(" 127.0.0.1:"));
    }

    @Test
    void clickHouseAndRedisRequireThePasswordsFromTheEnvFileWhichIsNotCommitted() throws Exception {
        String text = Files.readString(COMPOSE);

        assertThat(text).doesNotContain("CLICKHOUSE_SKIP_USER_SETUP");
        assertThat(text)
                .contains(
                        "CLICKHOUSE_PASSWORD: ${CLICKHOUSE_PASSWORD:?",
                        "REDIS_PASSWORD: ${REDIS_PASSWORD:?",
                        "CLICKSTREAM_CLICKHOUSE_PASSWORD: ${CLICKHOUSE_PASSWORD:?",
                        "CLICKSTREAM_REDIS_PASSWORD: ${REDIS_PASSWORD:?");
        assertThat(services().path("redis").path("entrypoint").toString())
                .contains("requirepass")
                .doesNotContain("--requirepass"); // never on a command line
        assertThat(Files.readString(Path.of(".env.example"))).contains("CLICKHOUSE_PASSWORD=\n", "REDIS_PASSWORD=\n");
        assertThat(Files.readAllLines(Path.of(".gitignore"))).contains(".env");
        // The replicas log in to each other with the same password, from their environment.
        assertThat(Files.readString(Path.of("scripts/conf/clickhouse/docker/cluster.xml")))
                .contains("<password from_env=\"CLICKHOUSE_PASSWORD\"/>");
    }

    @Test
    void everyFileItMountsParsesAsWhatItIs() throws Exception {
        for (String f : mounted()) {
            Path p = Path.of(f);
            if (f.endsWith(".xml")) {
                assertThat(javax.xml.parsers.DocumentBuilderFactory.newInstance()
                                .newDocumentBuilder()
                                .parse(p.toFile())
                                .getDocumentElement()
                                .getTagName())
                        .as(f)
                        .isIn("yandex", "clickhouse");
            } else if (f.endsWith(".yaml") || f.endsWith(".yml")) {
                assertThat(io.clickstream.etl.config.JobConfig.load(p, java.util.Map.of(), java.util.Map.of()))
                        .as(f)
                        .isNotNull();
            } else {
                assertThat(f).as("a directory").isIn("./target", "./collector/target");
            }
        }
    }

    @Test
    void itsImagesAreTheOnesTheRunningPageNames() throws Exception {
        List<String> images = new ArrayList<>();
        services().fields().forEachRemaining(s -> {
            if (s.getValue().has("image")) {
                images.add(s.getValue().get("image").asText());
            }
        });
        new YAMLMapper().readTree(COMPOSE.toFile()).fields().forEachRemaining(e -> {
            if (e.getKey().startsWith("x-") && e.getValue().has("image")) {
                images.add(e.getValue().get("image").asText());
            }
        });
        String running = Files.readString(Path.of("docs/running.md"));
        assertThat(images)
                .contains("clickhouse/clickhouse-server:25.3")
                .allSatisfy(image -> assertThat(running).as(image).contains("`" + image + "`"));
    }

    private static List<String> mounted() throws Exception {
        Matcher m = Pattern.compile("- (\\./[^:\\s]+):").matcher(Files.readString(COMPOSE));
        List<String> mounted = new ArrayList<>();
        while (m.find()) {
            mounted.add(m.group(1));
        }
        return mounted;
    }

    @Test
    void everyFileItMountsExists() throws Exception {
        Matcher m = Pattern.compile("- (\\./[^:\\s]+):").matcher(Files.readString(COMPOSE));
        List<String> mounted = new ArrayList<>();
        while (m.find()) {
            mounted.add(m.group(1));
        }

        assertThat(mounted).isNotEmpty();
        // target/ and collector/target are the builds' output, made by the first commands of the file's instructions.
        assertThat(mounted)
                .filteredOn(f -> !f.equals("./target") && !f.equals("./collector/target"))
                .allSatisfy(f -> assertThat(Path.of(f)).exists());
    }
}
