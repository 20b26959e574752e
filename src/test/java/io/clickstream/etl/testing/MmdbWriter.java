package io.clickstream.etl.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes small MaxMind DB (.mmdb) files with known rows, for tests: an IPv6 search tree (IPv4 networks live under
 * ::/96, as in MaxMind's own databases), 32-bit records, and the data types the City layouts use. No Java MMDB
 * writer is published on Maven Central, hence this one; it follows the public MaxMind DB format spec.
 */
public final class MmdbWriter {
    private static final byte[] METADATA_MARKER = {
        (byte) 0xAB, (byte) 0xCD, (byte) 0xEF, 'M', 'a', 'x', 'M', 'i', 'n', 'd', '.', 'c', 'o', 'm'
    };

    private final String databaseType;
    private final Node root = new Node();
    private final List<Map<String, Object>> records = new ArrayList<>();

    public MmdbWriter(String databaseType) {
        this.databaseType = databaseType;
    }

    /** Adds a network ("81.2.69.0/24", "2001:db8::/32") with its record (String, Double, Float, Integer, Long, Boolean, List, Map values). */
    public MmdbWriter add(String cidr, Map<String, Object> record) throws IOException {
        String[] parts = cidr.split("/");
        byte[] address = InetAddress.getByName(parts[0]).getAddress();
        int prefix = Integer.parseInt(parts[1]);
        byte[] bits16 = new byte[16];
        if (address.length == 4) {
            System.arraycopy(address, 0, bits16, 12, 4);
            prefix += 96;
        } else {
            bits16 = address;
        }
        records.add(record);
        Node node = root;
        for (int i = 0; i < prefix; i++) {
            int bit = (bits16[i / 8] >> (7 - i % 8)) & 1;
            if (node.children[bit] == null) {
                node.children[bit] = new Node();
            }
            node = node.children[bit];
        }
        node.record = record;
        node.children[0] = null;
        node.children[1] = null;
        return this;
    }

    public void write(Path file) throws IOException {
        // Number the inner nodes breadth first; leaves are records or "no data".
        List<Node> nodes = new ArrayList<>();
        List<Node> queue = new ArrayList<>();
        queue.add(root);
        while (!queue.isEmpty()) {
            Node n = queue.remove(0);
            if (n.record != null) {
                continue;
            }
            n.index = nodes.size();
            nodes.add(n);
            for (Node c : n.children) {
                if (c != null) {
                    queue.add(c);
                }
            }
        }
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        Map<Map<String, Object>, Integer> offsets = new IdentityHashMap<>();
        for (Map<String, Object> r : records) {
            offsets.put(r, data.size());
            encode(r, data);
        }
        long nodeCount = nodes.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Node n : nodes) {
            for (Node c : n.children) {
                long value;
                if (c == null) {
                    value = nodeCount;
                } else if (c.record != null) {
                    value = nodeCount + 16 + offsets.get(c.record);
                } else {
                    value = c.index;
                }
                for (int i = 3; i >= 0; i--) {
                    out.write((int) (value >>> (8 * i)));
                }
            }
        }
        out.write(new byte[16]);
        data.writeTo(out);
        out.write(METADATA_MARKER);
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("node_count", new Uint32(nodeCount));
        metadata.put("record_size", new Uint16(32));
        metadata.put("ip_version", new Uint16(6));
        metadata.put("database_type", databaseType);
        metadata.put("languages", List.of("en"));
        metadata.put("binary_format_major_version", new Uint16(2));
        metadata.put("binary_format_minor_version", new Uint16(0));
        metadata.put("build_epoch", System.currentTimeMillis() / 1000);
        metadata.put("description", Map.of("en", "clickstream-etl test database"));
        encode(metadata, out);
        Files.write(file, out.toByteArray());
    }

    private static final class Node {
        final Node[] children = new Node[2];
        Map<String, Object> record;
        int index;
    }

    /** Unsigned integers of the metadata, where the format wants uint16/uint32 rather than uint64. */
    private record Uint16(long value) {}

    private record Uint32(long value) {}

    @SuppressWarnings("unchecked")
    private static void encode(Object v, ByteArrayOutputStream out) {
        if (v instanceof String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            control(out, 2, b.length);
            out.writeBytes(b);
        } else if (v instanceof Double d) {
            control(out, 3, 8);
            bigEndian(out, Double.doubleToLongBits(d), 8);
        } else if (v instanceof Float f) {
            control(out, 15, 4);
            bigEndian(out, Float.floatToIntBits(f), 4);
        } else if (v instanceof Uint16 u) {
            unsigned(out, 5, u.value());
        } else if (v instanceof Uint32 u) {
            unsigned(out, 6, u.value());
        } else if (v instanceof Integer i) {
            unsigned(out, 6, i);
        } else if (v instanceof Long l) {
            unsigned(out, 9, l);
        } else if (v instanceof Boolean b) {
            control(out, 14, b ? 1 : 0);
        } else if (v instanceof Map<?, ?> m) {
            control(out, 7, m.size());
            for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
                encode(e.getKey(), out);
                encode(e.getValue(), out);
            }
        } else if (v instanceof List<?> list) {
            control(out, 11, list.size());
            for (Object item : list) {
                encode(item, out);
            }
        } else {
            throw new IllegalArgumentException("cannot encode " + v);
        }
    }

    private static void unsigned(ByteArrayOutputStream out, int type, long value) {
        int size = 0;
        for (long v = value; v != 0; v >>>= 8) {
            size++;
        }
        control(out, type, size);
        bigEndian(out, value, size);
    }

    /** Control byte: type in the top 3 bits (0 = extended, type - 7 in the next byte), size in the low 5. */
    private static void control(ByteArrayOutputStream out, int type, int size) {
        int sizeBits;
        byte[] extra;
        if (size < 29) {
            sizeBits = size;
            extra = new byte[0];
        } else if (size < 285) {
            sizeBits = 29;
            extra = new byte[] {(byte) (size - 29)};
        } else if (size < 65821) {
            sizeBits = 30;
            extra = new byte[] {(byte) ((size - 285) >> 8), (byte) (size - 285)};
        } else {
            sizeBits = 31;
            int s = size - 65821;
            extra = new byte[] {(byte) (s >> 16), (byte) (s >> 8), (byte) s};
        }
        if (type <= 7) {
            out.write((type << 5) | sizeBits);
        } else {
            out.write(sizeBits);
            out.write(type - 7);
        }
        out.writeBytes(extra);
    }

    private static void bigEndian(ByteArrayOutputStream out, long value, int bytes) {
        for (int i = bytes - 1; i >= 0; i--) {
            out.write((int) (value >>> (8 * i)));
        }
    }
}
