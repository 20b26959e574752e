package io.clickstream.etl.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BacklogReportingSourceTest {

    @Test
    void theJobIsInBacklogWhileAnyReaderIs() {
        BacklogReportingSource.Readers readers = new BacklogReportingSource.Readers();

        assertThat(readers.report(0, true)).isTrue();
        assertThat(readers.report(1, true)).isFalse();
        assertThat(readers.report(0, false)).isFalse();
        assertThat(readers.any()).isTrue();
        assertThat(readers.report(1, false)).isTrue();
        assertThat(readers.any()).isFalse();
    }

    @Test
    void aReaderThatRegistersAgainStartsFromNoBacklog() {
        BacklogReportingSource.Readers readers = new BacklogReportingSource.Readers();
        readers.report(3, true);

        // A restarted subtask's reader starts without the signal and reports afresh.
        assertThat(readers.report(3, false)).isTrue();
        assertThat(readers.any()).isFalse();
        assertThat(readers.report(3, false)).isFalse();
    }
}
