package io.clickstream.etl.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TabSeparatedTest {

    @Test
    void rowsAreSplitIntoFieldsWithTheirEscapesUndoneAndEmptyFieldsKept() {
        var rows = TabSeparated.rows("a\\tb\t\t1\n\nCREATE VIEW v AS SELECT \\'x\\'\\nFROM t\t\\\\\t2\n");
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0)).containsExactly("a\tb", "", "1");
        assertThat(rows.get(1)).containsExactly("CREATE VIEW v AS SELECT 'x'\nFROM t", "\\", "2");
    }

    @Test
    void anAnswerOfOneColumnIsAListAndAnEmptyAnswerHasNoRows() {
        assertThat(TabSeparated.column("2026-11-01\n2026-11-02\n")).containsExactly("2026-11-01", "2026-11-02");
        assertThat(TabSeparated.rows("")).isEmpty();
        assertThat(TabSeparated.column("x")).containsExactly("x");
    }
}
