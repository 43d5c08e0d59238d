package io.meshfed.topology.faults;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Wraps a stage's processor so that no single record can stop the thread: a record that
 * {@link PoisonRecords} says has failed twice is dead-lettered instead of processed, and an
 * {@link Error} from processing one record becomes an exception the processing handler
 * dead-letters.
 */
public final class GuardedProcessor<KI, VI, KO, VO> implements Processor<KI, VI, KO, VO> {

  private final Processor<KI, VI, KO, VO> delegate;
  private ProcessorContext<KO, VO> context;

  private GuardedProcessor(Processor<KI, VI, KO, VO> delegate) {
    this.delegate = delegate;
  }

  /** A supplier of guarded processors; the stores the inner supplier names are kept. */
  public static <KI, VI, KO, VO> ProcessorSupplier<KI, VI, KO, VO> guard(
      ProcessorSupplier<KI, VI, KO, VO> supplier) {
    return new ProcessorSupplier<>() {
      @Override
      public Processor<KI, VI, KO, VO> get() {
        return new GuardedProcessor<>(supplier.get());
      }

      @Override
      public java.util.Set<StoreBuilder<?>> stores() {
        return supplier.stores();
      }
    };
  }

  @Override
  public void init(ProcessorContext<KO, VO> context) {
    this.context = context;
    delegate.init(context);
  }

  @Override
  public void process(Record<KI, VI> record) {
    RecordMetadata source = context.recordMetadata().orElse(null);
    if (source != null) {
      PoisonRecords.Failure poison = PoisonRecords.skipIfPoison(context.applicationId(),
          source.topic(), source.partition(), source.offset());
      if (poison != null) {
        throw new PoisonRecordException("record at " + source.topic() + "-" + source.partition()
            + "@" + source.offset() + " failed after processing (" + poison.count()
            + " failed writes; " + poison.reason() + "); dead-lettered without processing it"
            + " again", null);
      }
    }
    RecordMetadata outer = PoisonRecords.processing(source);
    try {
      delegate.process(record);
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable error) {
      throw new PoisonRecordException("processing failed with "
          + error.getClass().getName() + ": " + DeadLetterRecords.bounded(
              String.valueOf(error.getMessage()), 300), null);
    } finally {
      PoisonRecords.processing(outer);
    }
  }

  @Override
  public void close() {
    delegate.close();
  }
}
