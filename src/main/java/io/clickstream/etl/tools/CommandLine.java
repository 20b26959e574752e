package io.clickstream.etl.tools;

import io.clickstream.etl.config.JobConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Arguments of the command-line tools: {@code --name value}, flags, and the job's --config / --set. */
final class CommandLine {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, String> sets = new LinkedHashMap<>();
    private final Map<String, java.util.List<String>> repeated = new LinkedHashMap<>();

    CommandLine(String[] args, Set<String> options, Set<String> flags, String usage) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'\n" + usage);
            }
            String name = a.substring(2);
            if (flags.contains(name)) {
                values.put(name, "true");
            } else if ((options.contains(name) || name.equals("config") || name.equals("set")) && i + 1 < args.length) {
                String v = args[++i];
                if (name.equals("set")) {
                    int eq = v.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--set expects key=value, got '" + v + "'");
                    }
                    sets.put(v.substring(0, eq), v.substring(eq + 1));
                } else {
                    values.put(name, v);
                    repeated.computeIfAbsent(name, n -> new java.util.ArrayList<>())
                            .add(v);
                }
            } else if (name.equals("help")) {
                System.out.println(usage);
                System.exit(0);
            } else {
                throw new IllegalArgumentException("unknown or incomplete option '" + a + "'\n" + usage);
            }
        }
    }

    String get(String name, String def) {
        return values.getOrDefault(name, def);
    }

    /** Every value of an option given more than once, in order (empty when not given). */
    java.util.List<String> all(String name) {
        return repeated.getOrDefault(name, java.util.List.of());
    }

    int getInt(String name, int def) {
        String v = values.get(name);
        try {
            return v == null ? def : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " expects a whole number, got '" + v + "'");
        }
    }

    double getDouble(String name, double def) {
        String v = values.get(name);
        try {
            return v == null ? def : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " expects a number, got '" + v + "'");
        }
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    /** The job settings: --config file, then environment, then --set. */
    JobConfig config() throws IOException {
        String file = values.get("config");
        return JobConfig.load(file == null ? null : Path.of(file), System.getenv(), sets);
    }

    /** Reports a usage or config error the way a CLI should: message, no stack trace, exit 2. */
    static void run(String[] args, ToolMain main) {
        try {
            main.run(args);
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            System.err.println("error: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    @FunctionalInterface
    interface ToolMain {
        void run(String[] args) throws Exception;
    }
}
