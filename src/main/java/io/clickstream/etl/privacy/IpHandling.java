package io.clickstream.etl.privacy;

import io.clickstream.etl.geo.IpAddresses;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Locale;

/** What is kept of an event's IP address once geo has used it ({@code privacy.ip}). */
public enum IpHandling {
    KEEP,
    /** IPv4 to its /24, IPv6 to its /48: the network of a household or a small office, not the device. */
    TRUNCATE,
    DROP;

    public static IpHandling of(String text) {
        return valueOf(text.toUpperCase(Locale.ROOT));
    }

    public String apply(String ip) {
        if (this == KEEP || ip == null || ip.isEmpty()) {
            return ip;
        }
        if (this == DROP) {
            return "";
        }
        InetAddress a = IpAddresses.parse(ip);
        if (a == null) {
            return ""; // not an address: nothing to truncate, and possibly something identifying
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            return (b[0] & 0xFF) + "." + (b[1] & 0xFF) + "." + (b[2] & 0xFF) + ".0";
        }
        if ((b[0] & 0xFF) == 0x20 && (b[1] & 0xFF) == 0x02) {
            // 6to4 (2002::/16) carries a whole IPv4 address in the next 32 bits, inside the /48: cut it to its /24.
            b[5] = 0;
        }
        return String.format(
                "%x:%x:%x::",
                ((b[0] & 0xFF) << 8) | (b[1] & 0xFF),
                ((b[2] & 0xFF) << 8) | (b[3] & 0xFF),
                ((b[4] & 0xFF) << 8) | (b[5] & 0xFF));
    }
}
