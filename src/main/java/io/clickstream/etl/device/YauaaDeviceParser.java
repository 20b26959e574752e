package io.clickstream.etl.device;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.Locale;
import java.util.Set;
import nl.basjes.parse.useragent.UserAgent;
import nl.basjes.parse.useragent.UserAgentAnalyzer;

/**
 * Parses user agents with Yauaa, asking it only for the fields stored (which keeps its start-up and memory down),
 * behind a bounded cache: the same few thousand agents make up nearly all traffic.
 *
 * <p>An analyzer takes seconds and a few hundred MB to build, so all tasks of a job in one TaskManager share one
 * ({@link #shared}); its parse is guarded by a lock (Yauaa's advice for shared instances), which the shared cache in
 * front of it keeps nearly uncontended.
 */
public final class YauaaDeviceParser implements DeviceParser {
    private static YauaaDeviceParser shared;

    /** The TaskManager-wide parser (per job class loader); the first caller's cache size sets it up. */
    public static synchronized YauaaDeviceParser shared(long cacheSize) {
        if (shared == null) {
            shared = new YauaaDeviceParser(cacheSize);
        }
        return shared;
    }

    /** Yauaa device classes of clients that are not people. */
    private static final Set<String> BOT_CLASSES = Set.of("Robot", "Robot Mobile", "Robot Imitator", "Hacker");
    /** Yauaa's "no value" markers. */
    private static final Set<String> UNKNOWN = Set.of("Unknown", "??", "");

    private final UserAgentAnalyzer analyzer;
    private final Cache<String, DeviceInfo> cache;

    public YauaaDeviceParser(long cacheSize) {
        this.analyzer = UserAgentAnalyzer.newBuilder()
                .withFields(
                        UserAgent.AGENT_NAME,
                        UserAgent.AGENT_VERSION_MAJOR,
                        UserAgent.OPERATING_SYSTEM_NAME,
                        UserAgent.OPERATING_SYSTEM_VERSION_MAJOR,
                        UserAgent.DEVICE_CLASS)
                .withoutCache() // ours, below, caches the finished DeviceInfo
                .hideMatcherLoadStats()
                .immediateInitialization()
                .build();
        this.cache = Caffeine.newBuilder().maximumSize(cacheSize).build();
    }

    @Override
    public DeviceInfo parse(String userAgent) {
        if (userAgent == null || userAgent.isBlank()) {
            return DeviceInfo.EMPTY;
        }
        return cache.get(userAgent, this::analyze);
    }

    private DeviceInfo analyze(String userAgent) {
        UserAgent ua;
        synchronized (analyzer) {
            ua = analyzer.parse(userAgent);
        }
        String deviceClass = ua.getValue(UserAgent.DEVICE_CLASS);
        return new DeviceInfo(
                known(ua.getValue(UserAgent.AGENT_NAME)),
                known(ua.getValue(UserAgent.AGENT_VERSION_MAJOR)),
                known(ua.getValue(UserAgent.OPERATING_SYSTEM_NAME)),
                known(ua.getValue(UserAgent.OPERATING_SYSTEM_VERSION_MAJOR)),
                known(deviceClass).toLowerCase(Locale.ROOT),
                BOT_CLASSES.contains(deviceClass));
    }

    private static String known(String value) {
        return value == null || UNKNOWN.contains(value) ? "" : value;
    }
}
