package io.clickstream.etl.device;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class YauaaDeviceParserTest {
    private static YauaaDeviceParser parser;

    @BeforeAll
    static void load() {
        parser = new YauaaDeviceParser(100);
    }

    // Chrome sends "Windows NT 10.0" for Windows 10 and 11 alike: the OS version is honestly unknown.
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "Chrome on Windows|Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36|Chrome|131|Windows NT||desktop|false",
                "Firefox on Linux|Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0|Firefox|132|Linux||desktop|false",
                "Safari on iPhone|Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1|Safari|18|iOS|18|phone|false",
                "Safari on iPad|Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1|Safari|17|iOS|17|tablet|false",
                "Chrome on Android|Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36|Chrome|131|Android|14|phone|false",
                "Googlebot|Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)|Googlebot|2|Google Cloud||robot|true"
            })
    void describesBrowserOsAndDevice(
            String name,
            String ua,
            String browser,
            String browserVersion,
            String os,
            String osVersion,
            String deviceType,
            boolean bot) {
        DeviceInfo d = parser.parse(ua);

        assertThat(d.browser()).isEqualTo(browser);
        assertThat(d.browserVersion()).isEqualTo(browserVersion);
        assertThat(d.os()).isEqualTo(os);
        assertThat(d.osVersion()).isEqualTo(osVersion == null ? "" : osVersion);
        assertThat(d.deviceType()).isEqualTo(deviceType);
        assertThat(d.bot()).isEqualTo(bot);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "   "})
    void missingAgentGivesEmptyDevice(String ua) {
        assertThat(parser.parse(ua)).isEqualTo(DeviceInfo.EMPTY);
    }

    @ParameterizedTest
    @ValueSource(strings = {"garbage", "}{][)(", "\u0000\u0001\u0002", "Mozilla/5.0 (", "😀😀😀"})
    void garbageAgentNeverThrowsAndIsNotCalledABrowser(String ua) {
        DeviceInfo d = parser.parse(ua);

        assertThat(d).isNotNull();
        assertThat(d.browser()).isNotIn("Chrome", "Firefox", "Safari");
    }

    @Test
    void veryLongAgentIsHandled() {
        assertThat(parser.parse("Mozilla/5.0 " + "x".repeat(20_000))).isNotNull();
    }

    @Test
    void crawlersAreFlaggedAsBots() {
        assertThat(parser.parse("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)")
                        .bot())
                .isTrue();
        assertThat(parser.parse("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)")
                        .bot())
                .isTrue();
    }
}
