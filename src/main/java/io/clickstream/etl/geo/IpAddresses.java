package io.clickstream.etl.geo;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Parses IP literals without ever resolving a host name ({@code InetAddress.getByName("evil.example")} would do a
 * DNS lookup on the hot path), and tells addresses that no geo database places: private, loopback, link-local,
 * shared (CGNAT), documentation, multicast and reserved ranges.
 */
public final class IpAddresses {
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]{2,45}");

    private IpAddresses() {}

    /** The address, or null when {@code text} is not an IPv4 or IPv6 literal. */
    public static InetAddress parse(String text) {
        if (text == null) {
            return null;
        }
        String t = text.trim();
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1);
        }
        try {
            byte[] v4 = ipv4(t);
            if (v4 != null) {
                return InetAddress.getByAddress(v4);
            }
            if (t.indexOf(':') >= 0 && IPV6.matcher(t).matches()) {
                return InetAddress.getByName(t); // a literal with ':' is never looked up in DNS
            }
        } catch (UnknownHostException e) {
            return null;
        }
        return null;
    }

    /** Four dot-separated decimal octets of one to three digits each, or null (by hand: this runs per event). */
    private static byte[] ipv4(String t) {
        byte[] out = new byte[4];
        int octet = 0;
        int value = 0;
        int digits = 0;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c >= '0' && c <= '9') {
                value = value * 10 + (c - '0');
                if (++digits > 3 || value > 255) {
                    return null;
                }
            } else if (c == '.' && digits > 0 && octet < 3) {
                out[octet++] = (byte) value;
                value = 0;
                digits = 0;
            } else {
                return null;
            }
        }
        if (octet != 3 || digits == 0) {
            return null;
        }
        out[3] = (byte) value;
        return out;
    }

    /** True for addresses that are not on the public internet. */
    static boolean isNonPublic(InetAddress a) {
        if (a.isAnyLocalAddress()
                || a.isLoopbackAddress()
                || a.isLinkLocalAddress()
                || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        int b0 = b[0] & 0xFF;
        int b1 = b[1] & 0xFF;
        int b2 = b[2] & 0xFF;
        if (a instanceof Inet4Address) {
            return b0 == 0 // "this network"
                    || (b0 == 100 && (b1 & 0xC0) == 64) // 100.64.0.0/10 shared address space (CGNAT)
                    || (b0 == 192 && b1 == 0 && (b2 == 0 || b2 == 2)) // protocol assignments, TEST-NET-1
                    || (b0 == 198 && (b1 == 18 || b1 == 19)) // benchmarking
                    || (b0 == 198 && b1 == 51 && b2 == 100) // TEST-NET-2
                    || (b0 == 203 && b1 == 0 && b2 == 113) // TEST-NET-3
                    || b0 >= 240; // reserved and broadcast
        }
        return a instanceof Inet6Address
                && ((b0 & 0xFE) == 0xFC // fc00::/7 unique local
                        || (b0 == 0x20
                                && b1 == 0x01
                                && b2 == 0x0D
                                && (b[3] & 0xFF) == 0xB8)); // 2001:db8::/32 documentation
    }
}
