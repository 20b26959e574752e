package io.clickstream.etl.privacy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IpHandlingTest {
    @Test
    void truncatesIpv4ToItsSlash24AndIpv6ToItsSlash48() {
        assertThat(IpHandling.TRUNCATE.apply("81.2.69.142")).isEqualTo("81.2.69.0");
        assertThat(IpHandling.TRUNCATE.apply("2001:db8:1234:5678::1")).isEqualTo("2001:db8:1234::");
        assertThat(IpHandling.TRUNCATE.apply("[2a02:ff0:3:4::9]")).isEqualTo("2a02:ff0:3::");
        assertThat(IpHandling.TRUNCATE.apply("::ffff:81.2.69.142"))
                .as("IPv4-mapped is IPv4")
                .isEqualTo("81.2.69.0");
    }

    @Test
    void whatIsNotAnAddressIsNotKeptWhenTruncating() {
        assertThat(IpHandling.TRUNCATE.apply("unknown")).isEmpty();
        assertThat(IpHandling.TRUNCATE.apply("")).isEmpty();
    }

    @Test
    void keepsOrDrops() {
        assertThat(IpHandling.KEEP.apply("81.2.69.142")).isEqualTo("81.2.69.142");
        assertThat(IpHandling.DROP.apply("81.2.69.142")).isEmpty();
        assertThat(IpHandling.of("truncate")).isEqualTo(IpHandling.TRUNCATE);
    }

    @Test
    void a6to4AddressKeepsOnlyTheSlash24OfTheIpv4AddressItCarries() {
        // 2002:5102:458e:: carries 81.2.69.142: its /48 would keep the whole IPv4 address.
        assertThat(IpHandling.TRUNCATE.apply("2002:5102:458e:1::7")).isEqualTo("2002:5102:4500::");
        assertThat(IpHandling.TRUNCATE.apply("2001:db8:85a3::8a2e:370:7334")).isEqualTo("2001:db8:85a3::");
    }
}
