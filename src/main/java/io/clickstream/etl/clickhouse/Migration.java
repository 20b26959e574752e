package io.clickstream.etl.clickhouse;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One schema migration file, sql/V{version}__{name}.sql, with ${database} and ${cluster} placeholders. */
public final class Migration {
    private static final Pattern FILE_NAME = Pattern.compile("V(\\d+)__([A-Za-z0-9_]+)\\.sql");

    private final int version;
    private final String name;
    private final String text;

    Migration(int version, String name, String text) {
        this.version = version;
        this.name = name;
        this.text = text;
    }

    /** Null when the file name is not a migration's. */
    static Migration fromFile(String fileName, String text) {
        Matcher m = FILE_NAME.matcher(fileName);
        return m.matches() ? new Migration(Integer.parseInt(m.group(1)), m.group(2), text) : null;
    }

    public int version() {
        return version;
    }

    public String name() {
        return name;
    }

    /** Of the file as written (before placeholders): an applied migration must not change afterwards. */
    public String checksum() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The statements, placeholders filled in. Statements end with ';' at the end of a line; '--' comment lines
     * are dropped (the HTTP interface takes one statement per request).
     */
    public List<String> statements(String database, String cluster) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("--") || trimmed.isEmpty()) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                add(statements, current, database, cluster);
            }
        }
        add(statements, current, database, cluster);
        return statements;
    }

    private static void add(List<String> out, StringBuilder sb, String database, String cluster) {
        String s = sb.toString().strip();
        sb.setLength(0);
        if (s.endsWith(";")) {
            s = s.substring(0, s.length() - 1).strip();
        }
        if (!s.isEmpty()) {
            out.add(s.replace("${database}", database).replace("${cluster}", cluster));
        }
    }

    @Override
    public String toString() {
        return String.format("V%03d__%s", version, name);
    }
}
