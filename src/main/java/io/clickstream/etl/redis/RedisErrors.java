package io.clickstream.etl.redis;

import java.net.SocketTimeoutException;
import java.util.Set;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * What a failed Redis call means for the job. Redis answers with an error word first ("OOM command not allowed…",
 * "WRONGPASS…"): a few of those pass by themselves (a server loading its data, a failover), the others need an
 * operator, and retrying them would only hold the job back without a word of what to fix.
 */
public final class RedisErrors {
    /**
     * Timeouts since the last answer before the job fails: a script too slow for redis.timeout never gets faster.
     * Other passing failures in between (a BUSY while the timed-out script still runs) do not start the count anew.
     */
    public static final int MAX_TIMEOUTS_IN_A_ROW = 10;

    public enum Kind {
        /** Wait and retry: the server is unreachable, starting, or failing over. */
        TRANSIENT,
        /** No answer within redis.timeout: retried, up to {@link #MAX_TIMEOUTS_IN_A_ROW}. */
        TIMEOUT,
        /** The server refused the call; the same call will be refused again. */
        PERMANENT
    }

    private static final Set<String> PASSING =
            Set.of("LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "READONLY", "CLUSTERDOWN", "MOVED", "ASK");

    private RedisErrors() {}

    public static Kind kind(Throwable error) {
        if (certificateRefused(error)) {
            return Kind.PERMANENT; // every retry would meet the same certificate
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof JedisDataException) {
                return PASSING.contains(errorWord(t)) ? Kind.TRANSIENT : Kind.PERMANENT;
            }
            if (t instanceof JedisConnectionException) {
                return timedOut(t) ? Kind.TIMEOUT : Kind.TRANSIENT;
            }
            if (t instanceof JedisException) {
                return Kind.TRANSIENT;
            }
        }
        return Kind.PERMANENT; // not from Redis at all: a bug, which no retry mends
    }

    /** A TLS handshake that refused Redis's certificate (untrusted, expired, or for another host). */
    private static boolean certificateRefused(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertificateException) {
                return true;
            }
        }
        return false;
    }

    /** What to fix, for a failure that fails the job. */
    public static String advice(Throwable error) {
        if (certificateRefused(error)) {
            return "The TLS handshake refused Redis's certificate: it must be signed by a certificate of "
                    + "redis.tls.trust-store (or the JVM's default ones), be valid now, and name the host connected "
                    + "to (redis.host, or the nodes the cluster announces).";
        }
        if (kind(error) == Kind.TIMEOUT) {
            return "Redis did not answer within redis.timeout " + MAX_TIMEOUTS_IN_A_ROW + " times in a row: a batch's "
                    + "script may take longer than that (raise redis.timeout, or lower redis.batch-size), or Redis "
                    + "is overloaded (see its SLOWLOG and INFO).";
        }
        String word = "";
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof JedisDataException) {
                word = errorWord(t);
                break;
            }
        }
        return switch (word) {
            case "WRONGPASS", "NOAUTH" ->
                "Redis refused the login: check redis.user and the password "
                        + "(CLICKSTREAM_REDIS_PASSWORD or redis.password-file).";
            case "NOPERM" ->
                "The Redis user may not run a command the job needs (MGET; EVAL calling SET, HGET and HSET; "
                        + "HGETALL) on keys under redis.key-prefix: grant them in the user's ACL.";
            case "OOM" ->
                "Redis is at maxmemory and evicts nothing (noeviction): raise maxmemory, or shorten "
                        + "session.history. Do not let it evict the job's keys: that state would be lost.";
            case "MISCONF" ->
                "Redis cannot write its snapshot and refuses writes: see its log (disk full or not " + "writable).";
            case "WRONGTYPE" ->
                "A key under redis.key-prefix holds a value of another type: another application "
                        + "uses the prefix; give the job a redis.key-prefix of its own.";
            case "" -> "The call failed outside Redis; see the cause.";
            default -> "Redis refused the call; the same call would be refused again. See the cause.";
        };
    }

    private static String errorWord(Throwable t) {
        String message = t.getMessage() == null ? "" : t.getMessage().trim();
        int space = message.indexOf(' ');
        return space < 0 ? message : message.substring(0, space);
    }

    /**
     * A call sent and not answered in time. A connect that timed out is not one: that is a server or network away,
     * which passes, and the call never ran.
     */
    private static boolean timedOut(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SocketTimeoutException) {
                String message = c.getMessage() == null ? "" : c.getMessage();
                return !message.toLowerCase(java.util.Locale.ROOT).contains("connect");
            }
        }
        return false;
    }
}
