package io.clickstream.etl.enrich;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.etl.device.DeviceInfo;
import io.clickstream.etl.event.Event;
import io.clickstream.etl.geo.GeoInfo;
import io.clickstream.etl.geo.GeoLookup;
import io.clickstream.etl.privacy.IpHandling;
import io.clickstream.etl.privacy.PrivacyFunction;
import io.clickstream.etl.privacy.PrivacySettings;
import io.clickstream.etl.session.SessionRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.operators.StreamMap;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stateless steps chained to the source, each in an operator harness as the job runs it. */
class EnrichFunctionsTest {
    private static final GeoInfo LONDON = new GeoInfo("GB", "United Kingdom", "England", "London", 51.5, -0.09);

    private static GeoLookup geo() {
        return new GeoLookup() {
            @Override
            public GeoInfo lookup(String ip) {
                return ip.equals("81.2.69.142") ? LONDON : GeoInfo.EMPTY;
            }

            @Override
            public void close() {}
        };
    }

    private static <T> List<T> run(MapFunction<T, T> f, List<T> in) throws Exception {
        try (OneInputStreamOperatorTestHarness<T, T> h = new OneInputStreamOperatorTestHarness<>(new StreamMap<>(f))) {
            h.open();
            for (T t : in) {
                h.processElement(t, 0);
            }
            return h.extractOutputValues();
        }
    }

    private static Event event(String id, String ip, String userAgent) {
        Event e = new Event();
        e.eventId = id;
        e.userId = "u1";
        e.ip = ip;
        e.userAgent = userAgent;
        e.url = "";
        e.referrer = "";
        e.propertyKeys = new String[0];
        e.propertyValues = new String[0];
        return e;
    }

    @Test
    void geoFillsEventsAndSessionRowsFromTheIpAndLeavesTheRestEmpty() throws Exception {
        List<Event> out = run(
                new GeoFunction<>(EnrichFunctionsTest::geo),
                List.of(event("a", "81.2.69.142", ""), event("b", "10.0.0.1", ""), event("c", "", "")));
        assertThat(out).extracting(e -> e.countryCode).containsExactly("GB", "", "");
        assertThat(out.get(0).city).isEqualTo("London");
        assertThat(out.get(0).latitude).isEqualTo(51.5);
        assertThat(out.get(1).latitude).isNull();
        SessionRow row = new SessionRow();
        row.ip = "81.2.69.142";
        assertThat(run(new GeoFunction<SessionRow>(EnrichFunctionsTest::geo), List.of(row))
                        .get(0)
                        .countryCode)
                .isEqualTo("GB");
    }

    @Test
    void deviceFillsBrowserOsTypeAndBotFlagFromTheUserAgent() throws Exception {
        DeviceFunction.Factory parser = () -> ua -> ua.contains("bot")
                ? new DeviceInfo("Googlebot", "2", "Unknown", "", "robot", true)
                : new DeviceInfo("Chrome", "131", "Windows", "10", "desktop", false);
        List<Event> out = run(
                new DeviceFunction<>(parser),
                List.of(
                        event("a", "", "Mozilla/5.0 Chrome/131"),
                        event("b", "", "Googlebot/2.1 (+http://www.google.com/bot.html)")));
        assertThat(out)
                .extracting(e -> e.browser + "/" + e.os + "/" + e.deviceType + "/" + e.bot)
                .containsExactly("Chrome/Windows/desktop/false", "Googlebot/Unknown/robot/true");
    }

    @Test
    void privacyTruncatesTheIpAndPseudonymizesWithTheKeyFromItsFile(@TempDir Path dir) throws Exception {
        Path key = Files.writeString(dir.resolve("key"), "0123456789abcdef0123456789abcdef");
        PrivacySettings settings = new PrivacySettings(IpHandling.TRUNCATE, List.of("user_id"), key.toString());
        List<Event> out = run(
                new PrivacyFunction(settings),
                List.of(event("a", "81.2.69.142", ""), event("b", "2001:db8:1:2::9", "")));
        assertThat(out).extracting(e -> e.ip).containsExactly("81.2.69.0", "2001:db8:1::");
        assertThat(out)
                .extracting(e -> e.userId)
                .containsOnly(settings.pseudonymizer(Map.of()).pseudonym("u1"));
        assertThat(out.get(0).userId).hasSize(32).isNotEqualTo("u1");
    }
}
