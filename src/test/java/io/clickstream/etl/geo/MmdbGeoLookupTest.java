package io.clickstream.etl.geo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.etl.testing.MmdbWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class MmdbGeoLookupTest {
    @TempDir
    Path dir;

    private final AtomicLong clock = new AtomicLong(1_000);

    /** A GeoIP2-City-layout record, as MaxMind's databases hold them. */
    private static Map<String, Object> city(
            String code, String country, String region, String city, double lat, double lon) {
        return Map.of(
                "country", Map.of("iso_code", code, "names", Map.of("en", country)),
                "subdivisions", List.of(Map.of("iso_code", "X", "names", Map.of("en", region))),
                "city", Map.of("names", Map.of("en", city)),
                "location", Map.of("latitude", lat, "longitude", lon));
    }

    private static Map<String, Object> flat(String code, String state, String city, float lat, float lon) {
        return Map.of("country_code", code, "state1", state, "city", city, "latitude", lat, "longitude", lon);
    }

    private Path geoIp2City() throws Exception {
        Path file = dir.resolve("city.mmdb");
        new MmdbWriter("GeoIP2-City")
                .add("81.2.69.0/24", city("GB", "United Kingdom", "England", "London", 51.5142, -0.0931))
                .add("216.160.83.0/24", city("US", "United States", "Washington", "Milton", 47.2513, -122.3149))
                .add("2001:218::/32", Map.of("country", Map.of("iso_code", "JP", "names", Map.of("en", "Japan"))))
                .write(file);
        return file;
    }

    private MmdbGeoLookup lookup(Path... files) throws Exception {
        return new MmdbGeoLookup(List.of(files), 60_000, 1000, clock::get);
    }

    @Test
    void findsCityRegionAndCoordinatesInAGeoIp2CityDatabase() throws Exception {
        try (MmdbGeoLookup geo = lookup(geoIp2City())) {
            assertThat(geo.lookup("81.2.69.142"))
                    .isEqualTo(new GeoInfo("GB", "United Kingdom", "England", "London", 51.5142, -0.0931));
            assertThat(geo.lookup("216.160.83.56").city()).isEqualTo("Milton");
        }
    }

    @Test
    void findsIpv6AddressesIncludingBracketedOnes() throws Exception {
        try (MmdbGeoLookup geo = lookup(geoIp2City())) {
            GeoInfo jp = geo.lookup("2001:218::1");
            assertThat(jp.countryCode()).isEqualTo("JP");
            assertThat(jp.country()).isEqualTo("Japan");
            assertThat(jp.city()).isEmpty();
            assertThat(jp.latitude()).isNull();
            assertThat(geo.lookup("[2001:218:ffff::2]").countryCode()).isEqualTo("JP");
        }
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(
            strings = {
                "",
                "   ",
                "not an ip",
                "999.1.2.3",
                "1.2.3",
                "1.2.3.4.5",
                "81.2.69.142:443",
                "localhost",
                "example.com",
                "::g",
                "8.8.8.8",
                "10.1.2.3",
                "192.168.0.7",
                "172.16.5.4",
                "127.0.0.1",
                "169.254.1.1",
                "100.64.0.1",
                "0.0.0.0",
                "255.255.255.255",
                "224.0.0.1",
                "192.0.2.1",
                "::1",
                "::",
                "fe80::1",
                "fd00::1",
                "2001:db8::1",
                "1:2:3:4:5:6:7:8:9"
            })
    void unknownPrivateReservedOrGarbageAddressesGiveEmptyGeo(String ip) throws Exception {
        try (MmdbGeoLookup geo = lookup(geoIp2City())) {
            assertThat(geo.lookup(ip)).isEqualTo(GeoInfo.EMPTY);
            assertThat(geo.lookup(ip)).as("asked again, from the cache").isEqualTo(GeoInfo.EMPTY);
        }
    }

    @Test
    void readsTheFlatDbIpLayoutAndNamesTheCountry() throws Exception {
        Path v4 = dir.resolve("dbip-city-ipv4.mmdb");
        Path v6 = dir.resolve("dbip-city-ipv6.mmdb");
        new MmdbWriter("DBIP-City-Lite ipv4")
                .add("89.160.20.0/24", flat("SE", "Östergötland", "Linköping", 58.4167f, 15.6167f))
                .write(v4);
        new MmdbWriter("DBIP-City-Lite ipv6")
                .add("2a02:1000::/24", flat("DE", "Berlin", "Berlin", 52.52f, 13.405f))
                .write(v6);

        try (MmdbGeoLookup geo = lookup(v4, v6)) {
            GeoInfo se = geo.lookup("89.160.20.112");
            assertThat(se.countryCode()).isEqualTo("SE");
            assertThat(se.country()).isEqualTo("Sweden");
            assertThat(se.region()).isEqualTo("Östergötland");
            assertThat(se.city()).isEqualTo("Linköping");
            assertThat(se.latitude()).isEqualTo(58.4167);
            assertThat(se.longitude()).isEqualTo(15.6167);
            assertThat(geo.lookup("2a02:10ab::1").city()).isEqualTo("Berlin");
            assertThat(geo.lookup("89.160.21.1")).isEqualTo(GeoInfo.EMPTY);
        }
    }

    @Test
    void picksUpAReplacedDatabaseFileAfterTheCheckInterval() throws Exception {
        Path live = geoIp2City();
        try (MmdbGeoLookup geo = lookup(live)) {
            assertThat(geo.lookup("81.2.69.142").city()).isEqualTo("London");

            Path next = dir.resolve("next.mmdb");
            new MmdbWriter("GeoIP2-City")
                    .add("81.2.69.0/24", city("GB", "United Kingdom", "Scotland", "Edinburgh", 55.95, -3.19))
                    .write(next);
            Files.setLastModifiedTime(
                    next, FileTime.fromMillis(Files.getLastModifiedTime(live).toMillis() + 5000));
            Files.move(next, live, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

            clock.addAndGet(59_000);
            assertThat(geo.lookup("81.2.69.142").city())
                    .as("not yet checked: cached answer")
                    .isEqualTo("London");
            clock.addAndGet(1_000);
            assertThat(geo.lookup("81.2.69.142").city()).isEqualTo("Edinburgh");
            assertThat(geo.lookup("216.160.83.56")).as("gone from the new file").isEqualTo(GeoInfo.EMPTY);
            assertThat(geo.reloads()).isEqualTo(1);
        }
    }

    @Test
    void keepsTheLoadedDatabaseWhenTheNewFileIsBroken() throws Exception {
        Path live = geoIp2City();
        try (MmdbGeoLookup geo = lookup(live)) {
            Path broken = dir.resolve("broken.mmdb");
            Files.write(broken, "not a database".getBytes());
            Files.move(broken, live, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            clock.addAndGet(60_000);

            assertThat(geo.lookup("81.2.69.142").city()).isEqualTo("London");
            assertThat(geo.reloads()).isZero();
        }
    }

    @Test
    void aMissingFileAtStartIsAnError() {
        assertThatThrownBy(() -> lookup(dir.resolve("absent.mmdb"))).hasMessageContaining("absent.mmdb");
    }
}
