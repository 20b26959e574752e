package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.session.JoinedFix;
import io.clickstream.etl.session.SessionCorrection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventCorrectionsTest {
    @Test
    void aCorrectionWhoseJoinedValuesWaitedForItsRowsWaitsWholeThoughTheRowsCameBeforeTheSessionsRead()
            throws Exception {
        // The joined values' read sees one of the session's two rows; the second arrives before the session's read.
        List<String> inserts = new ArrayList<>();
        EventCorrections corrections = new EventCorrections(
                (sql, settings) -> {
                    if (sql.startsWith("INSERT")) {
                        inserts.add(sql);
                        return "";
                    }
                    String first = "u\te1\t1000\t5\tbackend\t\n";
                    if (sql.contains(", source,")) { // the joined values' read
                        return first;
                    }
                    return "u\te1\t1000\t5\ts\t1\t0\t\nu\te2\t2000\t5\ts\t1\t1\t\n";
                },
                "db.events",
                EventRowEncoder.INSTANCE.columns());
        SessionCorrection c = new SessionCorrection("u", "s", 1, 1000, 2000, 2);
        c.joined = new JoinedFix[] {
            new JoinedFix(1000, 2000, "backend", new String[0], new String[] {"plan"}, new String[] {"pro"})
        };

        EventCorrections.Outcome outcome = corrections.apply(List.of(c), false);

        assertThat(outcome.waiting()).containsExactly(c);
        assertThat(outcome.rowsWritten()).isZero();
        assertThat(inserts)
                .as("only the user-day listed")
                .singleElement()
                .asString()
                .contains("corrected_days");
    }
}
