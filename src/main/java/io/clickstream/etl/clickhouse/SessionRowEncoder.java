package io.clickstream.etl.clickhouse;

import io.clickstream.etl.session.SessionRow;
import java.util.List;

/** The columns of the sessions table (sql/V002__sessions.sql, V005, V007) and their RowBinary encoding. */
public final class SessionRowEncoder implements RowEncoder<SessionRow> {
    private static final long serialVersionUID = 1L;
    public static final SessionRowEncoder INSTANCE = new SessionRowEncoder();

    private static final List<String> COLUMNS = List.of(
            "dt",
            "session_id",
            "user_id",
            "session_number",
            "start",
            "end",
            "duration_s",
            "events",
            "page_views",
            "entry_url",
            "exit_url",
            "referrer",
            "sources",
            "country_code",
            "country",
            "region",
            "city",
            "browser",
            "os",
            "device_type",
            "is_bot",
            "version",
            "record_time",
            "retired");

    private SessionRowEncoder() {}

    @Override
    public List<String> columns() {
        return COLUMNS;
    }

    /**
     * The time of the session's latest event: a row written long after it (a session being caught up with, or one
     * that ended) counts as catching up, so the sessions sink inserts such rows in the larger catch-up batches instead
     * of one small insert per flush interval as they come due.
     */
    @Override
    public long publishedAt(SessionRow s) {
        return s.end;
    }

    @Override
    public String userId(SessionRow s) {
        return s.userId;
    }

    @Override
    public long recordTime(SessionRow s) {
        return s.recordTime;
    }

    @Override
    public void encode(SessionRow s, RowBinaryBuffer out) {
        out.uint16((int) Math.floorDiv(s.origin, 86_400_000L)); // dt: the session id's day, stable as it grows
        out.string(s.sessionId);
        out.string(s.userId);
        out.uint32(s.sessionNumber);
        long start = Math.floorDiv(s.start, 1000L);
        long end = Math.floorDiv(s.end, 1000L);
        out.uint32(start);
        out.uint32(end);
        out.uint32(end - start); // from the stored seconds, so that duration_s = end - start holds in the table
        out.uint32(s.events);
        out.uint32(s.pageViews);
        out.string(s.entryUrl);
        out.string(s.exitUrl);
        out.string(s.referrer);
        out.stringArray(s.sources);
        out.string(s.countryCode);
        out.string(s.country);
        out.string(s.region);
        out.string(s.city);
        out.string(s.browser);
        out.string(s.os);
        out.string(s.deviceType);
        out.uint8(s.bot ? 1 : 0);
        // The row with the most events wins: updates only ever add events to a session, and the row that retires
        // one (merged away or renamed by a late event) comes after its last.
        out.uint64(s.retired ? s.events + 1L : s.events);
        out.uint64(s.recordTime);
        out.uint8(s.retired ? 1 : 0);
    }

    @Override
    public SessionRow decode(RowBinaryInput in) {
        SessionRow s = new SessionRow();
        s.origin = in.uint16() * 86_400_000L; // the day of the session id's time is what the row holds
        s.sessionId = in.string();
        s.userId = in.string();
        s.sessionNumber = (int) in.uint32();
        s.start = in.uint32() * 1000L;
        s.end = in.uint32() * 1000L;
        in.uint32(); // duration_s: end - start
        s.events = (int) in.uint32();
        s.pageViews = (int) in.uint32();
        s.entryUrl = in.string();
        s.exitUrl = in.string();
        s.referrer = in.string();
        s.sources = in.stringArray();
        s.countryCode = in.string();
        s.country = in.string();
        s.region = in.string();
        s.city = in.string();
        s.browser = in.string();
        s.os = in.string();
        s.deviceType = in.string();
        s.bot = in.uint8() == 1;
        in.uint64(); // version: the events
        s.recordTime = in.uint64();
        s.retired = in.uint8() == 1;
        s.geoGiven = true;
        s.deviceGiven = true;
        return s;
    }
}
