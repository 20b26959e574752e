package io.clickstream.etl.clickhouse;

import java.util.HashSet;
import java.util.Set;

/** The ClickHouse server's error codes the sink and its look-up act on, in one place (names as in ErrorCodes.cpp). */
final class ClickHouseErrors {
    private ClickHouseErrors() {}

    /** The server refused the login: a wrong or missing user or password, or no right to the table. */
    static final Set<Integer> LOGIN_REFUSED = Set.of(
            192, // UNKNOWN_USER
            193, // WRONG_PASSWORD
            194, // REQUIRED_PASSWORD
            497, // ACCESS_DENIED
            516); // AUTHENTICATION_FAILED

    /**
     * Server errors that will fail the same way on every retry: wrong schema, unparseable data, no access.
     * Everything else (network, ZooKeeper, a replica down, too many parts) is retried.
     */
    static final Set<Integer> NOT_RETRYABLE = union(
            LOGIN_REFUSED,
            Set.of(
                    16, // NO_SUCH_COLUMN_IN_TABLE
                    27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
                    33, // CANNOT_READ_ALL_DATA
                    44, // ILLEGAL_COLUMN
                    47, // UNKNOWN_IDENTIFIER
                    53, // TYPE_MISMATCH
                    60, // UNKNOWN_TABLE
                    62, // SYNTAX_ERROR
                    81, // UNKNOWN_DATABASE
                    115, // UNKNOWN_SETTING
                    117)); // INCORRECT_DATA

    /** The errors a single value can cause; the others concern the table or the setup. */
    static final Set<Integer> ROW_LEVEL = Set.of(
            6, // CANNOT_PARSE_TEXT
            27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
            33, // CANNOT_READ_ALL_DATA
            53, // TYPE_MISMATCH
            69, // ARGUMENT_OUT_OF_BOUND
            70, // CANNOT_CONVERT_TYPE
            117, // INCORRECT_DATA
            131); // TOO_LARGE_STRING_SIZE

    private static Set<Integer> union(Set<Integer> a, Set<Integer> b) {
        Set<Integer> out = new HashSet<>(a);
        out.addAll(b);
        return Set.copyOf(out);
    }
}
