package io.clickstream.etl.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeclaredColumnsTest {
    private static final Set<String> RESERVED = Set.of("event_id", "user_id", "props");

    private static List<DeclaredColumns.Column> parse(String columns) {
        return DeclaredColumns.parse("{\"columns\": [" + columns + "]}", RESERVED);
    }

    @Test
    void aSchemaFileDeclaresTypedColumnsWithPathsDefaultsAndEventTypes() {
        List<DeclaredColumns.Column> columns =
                parse("{\"name\": \"video_id\", \"type\": \"String\", \"path\": \"properties.video_id\","
                        + " \"event_types\": [\"video_view\"]},"
                        + "{\"name\": \"price\", \"type\": \"Decimal(12, 2)\", \"path\": \"properties.price\","
                        + " \"default\": 0.1},"
                        + "{\"name\": \"quality\", \"type\": \"LowCardinality(String)\","
                        + " \"path\": \"properties.video.quality\", \"default\": \"auto\"},"
                        + "{\"name\": \"tags\", \"type\": \"Array(UInt16)\", \"path\": \"properties.tags\"}");
        assertThat(columns)
                .extracting(DeclaredColumns.Column::name)
                .containsExactly("video_id", "price", "quality", "tags");
        assertThat(columns.get(0).appliesTo("video_view")).isTrue();
        assertThat(columns.get(0).appliesTo("page_view")).isFalse();
        assertThat(columns.get(1).appliesTo("page_view"))
                .as("no list: every type")
                .isTrue();
        assertThat(columns.get(1).defaultValue())
                .as("read as written, not as a double")
                .isEqualTo(new BigDecimal("0.10"));
        assertThat(columns.get(2).path()).containsExactly("video", "quality");
        assertThat(columns.get(2).defaultValue()).isEqualTo("auto");
        assertThat(columns.get(3).defaultValue()).isEqualTo(List.of());
        assertThat(columns.get(0).defaultValue()).isEqualTo("");
    }

    @Test
    void everyMistakeIsRefusedNamingTheKeyToFix() {
        String ok = "\"type\": \"UInt8\", \"path\": \"properties.age\"";
        assertThatThrownBy(() -> parse("{\"name\": \"Age\", " + ok + "}"))
                .hasMessageStartingWith("columns[0].name: 'Age'");
        assertThatThrownBy(() -> parse("{\"name\": \"user_id\", " + ok + "}"))
                .hasMessage("columns[0].name: 'user_id' is a column of the events table");
        assertThatThrownBy(() -> parse("{\"name\": \"age\", " + ok + "}, {\"name\": \"age\", " + ok + "}"))
                .hasMessage("columns[1].name: 'age' is declared twice");
        assertThatThrownBy(() -> parse("{\"name\": \"age\", \"type\": \"Float32\", \"path\": \"properties.age\"}"))
                .hasMessageStartingWith("columns[0] (age).type: type 'Float32' is not supported");
        assertThatThrownBy(() -> parse("{\"name\": \"age\", \"type\": \"UInt8\", \"path\": \"age\"}"))
                .hasMessageStartingWith("columns[0] (age).path: 'age' is not a property's path");
        assertThatThrownBy(() -> parse("{\"name\": \"age\", \"type\": \"UInt8\", \"path\": \"properties..x\"}"))
                .hasMessageStartingWith("columns[0] (age).path:");
        assertThatThrownBy(() -> parse("{\"name\": \"age\", " + ok + ", \"default\": 300}"))
                .hasMessage("columns[0] (age).default: 300 is out of UInt8's range [0, 255]");
        assertThatThrownBy(() -> parse("{\"name\": \"age\", " + ok + ", \"event_types\": []}"))
                .hasMessageStartingWith("columns[0] (age).event_types:");
        assertThatThrownBy(() -> parse("{\"name\": \"age\", " + ok + ", \"nullable\": true}"))
                .hasMessageStartingWith("columns[0].nullable: not a key of a column");
        assertThatThrownBy(() -> DeclaredColumns.parse("{\"columns\": 1}", RESERVED))
                .hasMessageStartingWith("schema: an object with a \"columns\" array");
        assertThatThrownBy(() -> DeclaredColumns.parse("{", RESERVED)).hasMessageStartingWith("schema: not JSON");
    }

    @Test
    void atMostThreeHundredColumns() {
        StringBuilder many = new StringBuilder();
        for (int i = 0; i <= DeclaredColumns.MAX_COLUMNS; i++) {
            many.append(i == 0 ? "" : ",")
                    .append("{\"name\": \"c")
                    .append(i)
                    .append("\", \"type\": \"String\", \"path\": \"properties.c")
                    .append(i)
                    .append("\"}");
        }
        assertThatThrownBy(() -> parse(many.toString())).hasMessageStartingWith("columns: 301 declared, at most 300");
    }
}
