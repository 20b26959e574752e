package io.clickstream.etl.geo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressesTest {

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "81.2.69.142      | /81.2.69.142",
                "' 81.2.69.142 '  | /81.2.69.142",
                "[81.2.69.142]    | /81.2.69.142",
                "0.0.0.0          | /0.0.0.0",
                "255.255.255.255  | /255.255.255.255",
                "001.002.003.004  | /1.2.3.4",
                "2001:218::1      | /2001:218:0:0:0:0:0:1",
                "::ffff:1.2.3.4   | /1.2.3.4"
            })
    void parsesIpv4AndIpv6Literals(String text, String address) {
        assertThat(IpAddresses.parse(text)).hasToString(address);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(
            strings = {
                "   ",
                "256.1.1.1",
                "1.2.3.256",
                "1.2.3",
                "1.2.3.4.5",
                "1..2.3",
                ".1.2.3",
                "1.2.3.",
                "0001.2.3.4",
                "1.2.3.4a",
                "a.b.c.d",
                "1.2.3.-4",
                "+1.2.3.4",
                "1.2.3.4:80",
                "١.٢.٣.٤",
                "example.com",
                "localhost",
                "::g",
                "1:2:3:4:5:6:7:8:9",
                "[1.2.3.4"
            })
    void refusesWhatIsNotAnAddressLiteralWithoutLookingItUp(String text) {
        assertThat(IpAddresses.parse(text)).isNull();
    }
}
