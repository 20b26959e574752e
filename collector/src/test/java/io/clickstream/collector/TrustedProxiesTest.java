package io.clickstream.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {
    private final TrustedProxies proxies =
            TrustedProxies.parse("trusted-proxies", List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8"));

    @Test
    void withoutTrustedProxiesTheHeaderIsIgnored() {
        assertThat(TrustedProxies.none().clientAddress("81.2.69.142", List.of("1.2.3.4")))
                .isEqualTo("81.2.69.142");
    }

    @Test
    void fromAnUntrustedPeerTheHeaderIsIgnored() {
        assertThat(proxies.clientAddress("81.2.69.142", List.of("1.2.3.4"))).isEqualTo("81.2.69.142");
    }

    @Test
    void behindTrustedProxiesTheNearestUntrustedHopIsTheClient() {
        // The client wrote "6.6.6.6" itself; the load balancer appended what it saw.
        assertThat(proxies.clientAddress("10.1.2.3", List.of("6.6.6.6, 81.2.69.142")))
                .isEqualTo("81.2.69.142");
        assertThat(proxies.clientAddress("10.1.2.3", List.of("81.2.69.142, 192.168.1.7")))
                .isEqualTo("81.2.69.142");
        assertThat(proxies.clientAddress("fd00::1", List.of("2001:db8::5"))).isEqualTo("2001:db8::5");
        assertThat(proxies.clientAddress("10.1.2.3", List.of("10.9.9.9"))).isEqualTo("10.9.9.9");
    }

    @Test
    void everyHeaderLineCountsInOrderSoAProxyAddingItsOwnLineIsNotBypassed() {
        // The client sent the first line itself; the load balancer added a second one with what it saw.
        assertThat(proxies.clientAddress("10.1.2.3", List.of("6.6.6.6", "81.2.69.142")))
                .isEqualTo("81.2.69.142");
        assertThat(proxies.clientAddress("10.1.2.3", List.of("6.6.6.6, 81.2.69.142", "192.168.1.7")))
                .isEqualTo("81.2.69.142");
    }

    @Test
    void aHopWithAPortIsAnAddress() {
        assertThat(proxies.clientAddress("10.1.2.3", List.of("6.6.6.6, 81.2.69.142:51234")))
                .isEqualTo("81.2.69.142");
        assertThat(proxies.clientAddress("10.1.2.3", List.of("[2001:db8::7]:443")))
                .isEqualTo("2001:db8::7");
        assertThat(TrustedProxies.withoutPort("2001:db8::7"))
                .as("a bare IPv6 address has no port")
                .isEqualTo("2001:db8::7");
    }

    @Test
    void garbageInTheHeaderStopsTheWalk() {
        assertThat(proxies.clientAddress("10.1.2.3", List.of("81.2.69.142, evil.example.com")))
                .isEqualTo("10.1.2.3");
    }

    @Test
    void matchesNetworksByPrefix() {
        assertThat(proxies.trusts("10.255.0.1")).isTrue();
        assertThat(proxies.trusts("11.0.0.1")).isFalse();
        assertThat(proxies.trusts("192.168.1.8")).isFalse();
        assertThat(proxies.trusts("fdff::1")).isTrue();
        assertThat(proxies.trusts("fe00::1")).isFalse();
        assertThat(proxies.trusts("::ffff:10.0.0.1")).isTrue();
    }

    @Test
    void aBadEntryNamesTheSetting() {
        assertThatThrownBy(() -> TrustedProxies.parse("trusted-proxies", List.of("lb.example.com")))
                .hasMessageContaining("trusted-proxies")
                .hasMessageContaining("lb.example.com");
        assertThatThrownBy(() -> TrustedProxies.parse("trusted-proxies", List.of("10.0.0.0/33")))
                .hasMessageContaining("prefix");
    }
}
