package io.clickstream.etl.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Capability packages depend downward only: no package reaches itself through the packages it imports. Production
 * wiring that needs several of them (the Kafka and Redis parts of the ClickHouse sink) lives in ClickstreamJob.
 */
class PackageDependenciesTest {
    private static final Path SOURCES = Path.of("src/main/java/io/clickstream/etl");
    private static final Pattern IMPORT =
            Pattern.compile("^import io\\.clickstream\\.etl\\.(\\w+)\\.", Pattern.MULTILINE);

    @Test
    void noPackageDependsOnItselfThroughOthers() throws IOException {
        Map<String, Set<String>> imports = new TreeMap<>();
        try (Stream<Path> dirs = Files.list(SOURCES)) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                String pkg = dir.getFileName().toString();
                Set<String> deps = new HashSet<>();
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f :
                            files.filter(p -> p.toString().endsWith(".java")).toList()) {
                        Matcher m = IMPORT.matcher(Files.readString(f));
                        while (m.find()) {
                            if (!m.group(1).equals(pkg)) {
                                deps.add(m.group(1));
                            }
                        }
                    }
                }
                imports.put(pkg, deps);
            }
        }
        assertThat(imports).containsKeys("clickhouse", "kafka", "redis", "session");
        List<String> cycles = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : imports.entrySet()) {
            for (String dep : e.getValue()) {
                if (reaches(imports, dep, e.getKey(), new HashSet<>())) {
                    cycles.add(e.getKey() + " -> " + dep + " -> ... -> " + e.getKey());
                }
            }
        }
        assertThat(cycles).as("package cycles").isEmpty();
    }

    private static boolean reaches(Map<String, Set<String>> imports, String from, String to, Set<String> seen) {
        for (String next : imports.getOrDefault(from, Set.of())) {
            if (next.equals(to) || (seen.add(next) && reaches(imports, next, to, seen))) {
                return true;
            }
        }
        return false;
    }
}
