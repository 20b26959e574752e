package io.clickstream.etl.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class MongoJsonTest {
    private static String normalized(String json) throws Exception {
        return MongoJson.normalize((ObjectNode) HistoryFile.JSON.readTree(json)).toString();
    }

    @Test
    void relaxedModeBecomesPlainJson() throws Exception {
        assertThat(
                        normalized(
                                "{\"_id\":{\"$oid\":\"65a1f0c2e4b0a1b2c3d4e5f6\"},\"user_id\":\"u1\","
                                        + "\"ts\":{\"$date\":\"2025-03-01T10:00:00.123Z\"},\"properties\":{\"price\":49.9,\"qty\":{\"$numberLong\":\"3\"}}}"))
                .isEqualTo(
                        "{\"user_id\":\"u1\",\"ts\":\"2025-03-01T10:00:00.123Z\",\"properties\":{\"price\":49.9,\"qty\":3},"
                                + "\"event_id\":\"65a1f0c2e4b0a1b2c3d4e5f6\"}");
    }

    @Test
    void canonicalModeBecomesPlainJson() throws Exception {
        assertThat(normalized(
                        "{\"event_id\":\"e1\",\"_id\":{\"$oid\":\"65a1\"},\"ts\":{\"$date\":{\"$numberLong\":\"1740823200123\"}},"
                                + "\"user_id\":{\"$numberLong\":\"42\"},\"properties\":{\"price\":{\"$numberDouble\":\"49.9\"},"
                                + "\"n\":{\"$numberInt\":\"7\"},\"tags\":[{\"$numberInt\":\"1\"}]}}"))
                .as("an own event_id wins over _id, which stays an ignored field")
                .isEqualTo("{\"event_id\":\"e1\",\"_id\":\"65a1\",\"ts\":\"2025-03-01T10:00:00.123Z\",\"user_id\":42,"
                        + "\"properties\":{\"price\":49.9,\"n\":7,\"tags\":[1]}}");
    }

    @Test
    void ordinaryObjectsAndOddValuesAreLeftAlone() throws Exception {
        assertThat(normalized("{\"a\":{\"$oid\":\"x\",\"other\":1},\"b\":{\"$numberLong\":\"not a number\"}}"))
                .isEqualTo("{\"a\":{\"$oid\":\"x\",\"other\":1},\"b\":\"not a number\"}");
    }
}
