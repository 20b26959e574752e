package io.clickstream.etl.event;

/** Why an input did not become an event. The code is what the dead-letter topic and the metrics carry. */
public enum RejectReason {
    EMPTY_PAYLOAD("empty_payload"),
    OVERSIZE("oversize"),
    INVALID_UTF8("invalid_utf8"),
    MALFORMED_JSON("malformed_json"),
    NOT_AN_OBJECT("not_an_object"),
    MISSING_FIELD("missing_field"),
    BLANK_FIELD("blank_field"),
    WRONG_TYPE("wrong_type"),
    FIELD_TOO_LONG("field_too_long"),
    TOO_MANY_PROPERTIES("too_many_properties"),
    INVALID_TIMESTAMP("invalid_timestamp"),
    TIMESTAMP_OUT_OF_RANGE("timestamp_out_of_range"),
    /** The parser itself failed: a bug, but the input is kept and the job goes on. */
    PARSER_ERROR("parser_error"),
    /** Valid to the job, refused by ClickHouse (found by the sink, isolated row by row); not counted by the parser. */
    CLICKHOUSE_REJECTED("clickhouse_rejected");

    private final String code;

    RejectReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
