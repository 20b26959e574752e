package io.clickstream.etl.geo;

import com.maxmind.db.MaxMindDbConstructor;
import com.maxmind.db.MaxMindDbParameter;
import com.maxmind.db.Reader;
import com.maxmind.geoip2.DatabaseReader;
import com.maxmind.geoip2.exception.GeoIp2Exception;
import com.maxmind.geoip2.model.CityResponse;
import com.maxmind.geoip2.model.CountryResponse;
import com.maxmind.geoip2.record.Location;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One .mmdb file in either of the two layouts in use: MaxMind's GeoIP2/GeoLite2 City or Country (read with
 * geoip2's DatabaseReader), or a flat city layout such as DB-IP Lite's (country_code, state1, city, latitude,
 * longitude at the top level; read with com.maxmind.db.Reader). The layout is told by the database type in the
 * file's metadata. Files are memory-mapped: replace them by renaming a new file over the old one, never by
 * writing into them.
 */
abstract class MmdbDatabase implements Closeable {

    static MmdbDatabase open(Path file) throws IOException {
        Reader reader = new Reader(file.toFile(), Reader.FileMode.MEMORY_MAPPED);
        String type = reader.getMetadata().databaseType();
        if (type.startsWith("GeoIP2") || type.startsWith("GeoLite2")) {
            reader.close();
            return new MaxMindLayout(file, type);
        }
        return new FlatLayout(reader, type);
    }

    /** The location, or null when the database has no entry for the address. */
    abstract GeoInfo lookup(InetAddress address) throws IOException;

    abstract String type();

    /** English name of an ISO 3166 country code ("DE" → "Germany"); "" when unknown. */
    static String countryName(String isoCode) {
        if (isoCode == null || isoCode.length() != 2) {
            return "";
        }
        int a = isoCode.charAt(0) - 'A';
        int b = isoCode.charAt(1) - 'A';
        if (a < 0 || a >= 26 || b < 0 || b >= 26) {
            return displayName(isoCode);
        }
        // Locale builds the name anew on each call (a lookup per event with an IP): kept per code, 676 at most.
        String name = COUNTRY_NAMES[26 * a + b];
        if (name == null) {
            name = displayName(isoCode);
            COUNTRY_NAMES[26 * a + b] = name; // a String is safely shared; two threads may both compute it
        }
        return name;
    }

    private static final String[] COUNTRY_NAMES = new String[26 * 26];

    private static String displayName(String isoCode) {
        String name = new Locale("", isoCode).getDisplayCountry(Locale.ENGLISH);
        return name.equals(isoCode) ? "" : name;
    }

    private static final class MaxMindLayout extends MmdbDatabase {
        private final DatabaseReader reader;
        private final String type;
        private final boolean hasCities;

        MaxMindLayout(Path file, String type) throws IOException {
            this.reader = new DatabaseReader.Builder(file.toFile())
                    .fileMode(Reader.FileMode.MEMORY_MAPPED)
                    .locales(List.of("en"))
                    .build();
            this.type = type;
            this.hasCities = type.contains("City") || type.contains("Enterprise");
        }

        @Override
        GeoInfo lookup(InetAddress address) throws IOException {
            try {
                if (hasCities) {
                    Optional<CityResponse> r = reader.tryCity(address);
                    if (r.isEmpty()) {
                        return null;
                    }
                    CityResponse c = r.get();
                    String code = c.country().isoCode();
                    String country = c.country().name();
                    Location location = c.location();
                    return new GeoInfo(
                            code,
                            country == null || country.isEmpty() ? countryName(code) : country,
                            c.subdivisions().isEmpty()
                                    ? ""
                                    : c.subdivisions().get(0).name(),
                            c.city().name(),
                            location == null ? null : location.latitude(),
                            location == null ? null : location.longitude());
                }
                Optional<CountryResponse> r = reader.tryCountry(address);
                return r.map(c -> new GeoInfo(c.country().isoCode(), c.country().name(), "", "", null, null))
                        .orElse(null);
            } catch (GeoIp2Exception e) {
                return null;
            }
        }

        @Override
        String type() {
            return type;
        }

        @Override
        public void close() throws IOException {
            reader.close();
        }
    }

    private static final class FlatLayout extends MmdbDatabase {
        private final Reader reader;
        private final String type;

        FlatLayout(Reader reader, String type) {
            this.reader = reader;
            this.type = type;
        }

        @Override
        GeoInfo lookup(InetAddress address) throws IOException {
            FlatCity r = reader.get(address, FlatCity.class);
            if (r == null) {
                return null;
            }
            return new GeoInfo(
                    r.countryCode, countryName(r.countryCode), r.region, r.city, widen(r.latitude), widen(r.longitude));
        }

        /** Through the decimal text, so 51.5143f becomes 51.5143 and not 51.51430130004883. */
        private static Double widen(Float f) {
            return f == null ? null : Double.valueOf(Float.toString(f));
        }

        @Override
        String type() {
            return type;
        }

        @Override
        public void close() throws IOException {
            reader.close();
        }
    }

    /** A record of the flat layout. DB-IP stores coordinates as 32-bit floats. */
    public static final class FlatCity {
        final String countryCode;
        final String region;
        final String city;
        final Float latitude;
        final Float longitude;

        @MaxMindDbConstructor
        public FlatCity(
                @MaxMindDbParameter(name = "country_code") String countryCode,
                @MaxMindDbParameter(name = "state1") String region,
                @MaxMindDbParameter(name = "city") String city,
                @MaxMindDbParameter(name = "latitude") Float latitude,
                @MaxMindDbParameter(name = "longitude") Float longitude) {
            this.countryCode = countryCode;
            this.region = region;
            this.city = city;
            this.latitude = latitude;
            this.longitude = longitude;
        }
    }
}
