package io.clickstream.etl.config;

/** Prints the configuration reference as a Markdown table (docs/configuration.md). */
public final class ConfigDoc {
    private ConfigDoc() {}

    public static String markdown() {
        StringBuilder sb = new StringBuilder("| key | type | default | meaning |\n|---|---|---|---|\n");
        for (ConfigOption<?> o : Options.all()) {
            if (o.isSecret()) {
                continue;
            }
            sb.append("| `")
                    .append(o.key())
                    .append("` | ")
                    .append(o.typeName())
                    .append(" | ")
                    .append(o.defaultText() == null ? "" : "`" + o.defaultText() + "`")
                    .append(" | ")
                    .append(o.description().replace("|", "\\|"))
                    .append(" |\n");
        }
        return sb.toString();
    }

    public static void main(String[] args) {
        System.out.print(markdown());
    }
}
