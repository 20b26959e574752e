package io.clickstream.etl.session;

import java.util.List;

/** The sessions table's rows: the state of the sessions a batch touched, as the user's history holds them now. */
public final class SessionRows {
    private SessionRows() {}

    /**
     * The sessions {@code assigned} touched (one each), in the history's order, into {@code out} (cleared first): their
     * rows are made when they are written, not for every batch that touches them.
     */
    public static void touched(UserHistory history, List<SessionAssignment> assigned, List<UserHistory.Session> out) {
        out.clear();
        for (UserHistory.Session s : history.sessions) {
            for (int i = 0; i < assigned.size(); i++) {
                if (assigned.get(i).sessionId().equals(s.id)) {
                    out.add(s);
                    break;
                }
            }
        }
    }

    /**
     * A row that retires the session as it stands now (merged into an earlier one, or renamed after an earlier
     * event): in its partition, with a version above every row it had. Its values are the session's last (nothing
     * is looked up for it: geo and device count as given).
     */
    public static SessionRow retired(String user, UserHistory.Session s) {
        SessionRow r = row(user, s);
        r.retired = true;
        r.geoGiven = true;
        r.deviceGiven = true;
        return r;
    }

    /** The session's row as it stands now. */
    public static SessionRow row(String user, UserHistory.Session s) {
        SessionRow r = new SessionRow();
        r.sessionId = s.id;
        r.userId = user;
        r.sessionNumber = s.number;
        r.origin = s.origin;
        r.start = s.start;
        r.end = s.end;
        r.events = s.count;
        r.pageViews = s.pageViews;
        r.entryUrl = s.entryUrl;
        r.exitUrl = s.exitUrl;
        r.referrer = s.referrer;
        r.sources = s.sources.toArray(new String[0]);
        r.ip = s.entryIp;
        r.userAgent = s.entryUserAgent;
        if (s.entryGeo) {
            r.geoGiven = true;
            r.countryCode = s.countryCode;
            r.country = s.country;
            r.region = s.region;
            r.city = s.city;
        }
        if (s.entryDevice) {
            r.deviceGiven = true;
            r.browser = s.browser;
            r.os = s.os;
            r.deviceType = s.deviceType;
            r.bot = s.bot;
        }
        return r;
    }
}
