package io.clickstream.etl.kafka;

import io.clickstream.etl.clickhouse.DeclaredRow;
import io.clickstream.etl.event.RawEvent;
import io.clickstream.etl.event.RejectReason;
import io.clickstream.etl.parse.EventParser;
import io.clickstream.etl.parse.ParseLimits;
import io.clickstream.etl.parse.ParseResult;
import io.clickstream.etl.parse.ParsedRecord;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Parses each record in the source, so that its event time is known where the per-partition watermarks are made.
 * Never throws for bad input: a record that does not parse becomes a dead letter, not a failed source.
 */
public class ParsingDeserializer implements KafkaRecordDeserializationSchema<ParsedRecord> {
    private static final long serialVersionUID = 1L;

    private final ParseLimits limits;
    /** The columns a schema file declares, converted as each event is parsed; null: none. */
    private final DeclaredRow declared;

    private transient EventParser parser;

    public ParsingDeserializer(ParseLimits limits) {
        this(limits, null);
    }

    public ParsingDeserializer(ParseLimits limits, DeclaredRow declared) {
        this.limits = limits;
        this.declared = declared;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        parser = new EventParser(limits).declaring(declared);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ParsedRecord> out) {
        RawEvent raw = new RawEvent(
                record.topic(), record.partition(), record.offset(), record.timestamp(), record.key(), record.value());
        out.collect(ParsedRecord.of(raw, parse(raw)));
    }

    private ParseResult parse(RawEvent raw) {
        try {
            return parser.parse(raw);
        } catch (RuntimeException e) {
            // A parser bug must not turn one odd record into a restart loop: keep the record, count it, go on.
            return ParseResult.rejected(RejectReason.PARSER_ERROR, e.toString());
        }
    }

    @Override
    public TypeInformation<ParsedRecord> getProducedType() {
        return TypeInformation.of(ParsedRecord.class);
    }
}
