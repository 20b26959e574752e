package io.clickstream.collector;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which peers may tell the client's address in {@code X-Forwarded-For}. Anyone can send that header, so it is
 * believed only from configured proxies (a load balancer), walking the list from the right: the nearest hop that is
 * not a trusted proxy is the client.
 */
public final class TrustedProxies {
    private final List<byte[]> networks;
    private final List<Integer> prefixes;

    private TrustedProxies(List<byte[]> networks, List<Integer> prefixes) {
        this.networks = networks;
        this.prefixes = prefixes;
    }

    public static TrustedProxies none() {
        return new TrustedProxies(List.of(), List.of());
    }

    /** {@code entries}: addresses ({@code 10.0.0.5}) or networks ({@code 10.0.0.0/8}, {@code fd00::/8}). */
    public static TrustedProxies parse(String key, List<String> entries) {
        List<byte[]> networks = new ArrayList<>();
        List<Integer> prefixes = new ArrayList<>();
        for (String entry : entries) {
            int slash = entry.indexOf('/');
            String address = slash < 0 ? entry : entry.substring(0, slash);
            byte[] bytes = literal(address);
            if (bytes == null) {
                throw new IllegalArgumentException(
                        "collector setting '" + key + "': '" + entry + "' is not an IP address or CIDR");
            }
            int prefix = bytes.length * 8;
            if (slash >= 0) {
                try {
                    prefix = Integer.parseInt(entry.substring(slash + 1));
                } catch (NumberFormatException e) {
                    prefix = -1;
                }
                if (prefix < 0 || prefix > bytes.length * 8) {
                    throw new IllegalArgumentException(
                            "collector setting '" + key + "': bad prefix length in '" + entry + "'");
                }
            }
            networks.add(bytes);
            prefixes.add(prefix);
        }
        return new TrustedProxies(List.copyOf(networks), List.copyOf(prefixes));
    }

    public boolean isEmpty() {
        return networks.isEmpty();
    }

    public boolean trusts(String address) {
        byte[] bytes = literal(address);
        if (bytes == null) {
            return false;
        }
        for (int i = 0; i < networks.size(); i++) {
            if (matches(networks.get(i), prefixes.get(i), bytes)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The client's address: the peer itself unless it is a trusted proxy; then, from the right of the {@code
     * X-Forwarded-For} header lines taken together in order (a proxy may add a line of its own rather than append
     * to the last), the first hop that is not a trusted proxy (or the leftmost, if all are). A hop may carry a port
     * ({@code 203.0.113.7:51234}, {@code [2001:db8::7]:443}).
     */
    public String clientAddress(String peer, List<String> forwardedFor) {
        if (forwardedFor == null || forwardedFor.isEmpty() || !trusts(peer)) {
            return peer;
        }
        List<String> hops = new ArrayList<>();
        for (String line : forwardedFor) {
            for (String hop : line.split(",")) {
                hops.add(withoutPort(hop.trim()));
            }
        }
        String candidate = peer;
        for (int i = hops.size() - 1; i >= 0; i--) {
            String hop = hops.get(i);
            if (literal(hop) == null) {
                // Garbage in the header: what lies left of it cannot be trusted either.
                return candidate;
            }
            candidate = hop;
            if (!trusts(hop)) {
                return hop;
            }
        }
        return candidate;
    }

    /** {@code a.b.c.d:port} and {@code [v6]:port} without the port; anything else as it is. */
    static String withoutPort(String hop) {
        if (hop.startsWith("[")) {
            int close = hop.indexOf(']');
            return close > 0 ? hop.substring(1, close) : hop;
        }
        int colon = hop.indexOf(':');
        if (colon > 0 && colon == hop.lastIndexOf(':') && hop.indexOf('.') > 0) {
            return hop.substring(0, colon);
        }
        return hop;
    }

    private static boolean matches(byte[] network, int prefix, byte[] address) {
        if (network.length != address.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (network[i] != address[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xFF << (8 - rest)) & 0xFF;
        return (network[full] & mask) == (address[full] & mask);
    }

    /** The bytes of an IP literal, or null: never a DNS lookup. */
    static byte[] literal(String text) {
        if (text == null || text.isEmpty() || text.length() > 45) {
            return null;
        }
        String t = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        boolean v4 = t.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
        boolean v6 =
                t.indexOf(':') >= 0 && t.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
        if (v4) {
            String[] parts = t.split("\\.", -1);
            if (parts.length != 4) {
                return null;
            }
            byte[] out = new byte[4];
            for (int i = 0; i < 4; i++) {
                if (parts[i].isEmpty() || parts[i].length() > 3) {
                    return null;
                }
                int n = Integer.parseInt(parts[i]);
                if (n > 255) {
                    return null;
                }
                out[i] = (byte) n;
            }
            return out;
        }
        if (!v6) {
            return null;
        }
        try {
            // A literal with ':' and hex digits only: InetAddress parses it without any lookup.
            return InetAddress.getByName(t).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
