package io.meshfed.serde;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.util.Utf8;

/**
 * A binary decoder that refuses any length or item count its payload cannot hold.
 *
 * <p>Avro's own decoder allocates before it reads: an array header claiming 2³¹ items makes the
 * reader allocate a list of that capacity, a string claiming 2 GB allocates 2 GB, and the
 * result is an {@code OutOfMemoryError} from a 24-byte record. Every string, bytes value, array
 * block and map block takes at least one byte per item or character on the wire in meshfed's
 * schemas (none has a zero-byte element type), so a count or length larger than the payload is
 * proof of corruption; this decoder says so before anything is allocated. The bound is the whole
 * payload, not the bytes left, so the check is a comparison, not bookkeeping: the worst a hostile
 * record can make a reader allocate is a few times its own size.
 */
final class BoundedDecoder extends Decoder {

  private final BinaryDecoder in;
  private final long limit;

  BoundedDecoder(BinaryDecoder in, int payloadLength) {
    this.in = in;
    this.limit = payloadLength;
  }

  private int length(long claimed, String what) throws IOException {
    if (claimed < 0 || claimed > limit) {
      throw new IOException(what + " length " + claimed + " exceeds the " + limit
          + "-byte payload");
    }
    return (int) claimed;
  }

  private long count(long claimed, String what) throws IOException {
    // Block counts are non-negative here: BinaryDecoder folds the negative (sized) form.
    if (claimed < 0 || claimed > limit) {
      throw new IOException(what + " block of " + claimed + " items exceeds the " + limit
          + "-byte payload");
    }
    return claimed;
  }

  @Override
  public void readNull() throws IOException {
    in.readNull();
  }

  @Override
  public boolean readBoolean() throws IOException {
    return in.readBoolean();
  }

  @Override
  public int readInt() throws IOException {
    return in.readInt();
  }

  @Override
  public long readLong() throws IOException {
    return in.readLong();
  }

  @Override
  public float readFloat() throws IOException {
    return in.readFloat();
  }

  @Override
  public double readDouble() throws IOException {
    return in.readDouble();
  }

  @Override
  public Utf8 readString(Utf8 old) throws IOException {
    int length = length(in.readLong(), "string");
    Utf8 result = old != null ? old : new Utf8();
    result.setByteLength(length);
    if (length > 0) {
      in.readFixed(result.getBytes(), 0, length);
    }
    return result;
  }

  @Override
  public String readString() throws IOException {
    int length = length(in.readLong(), "string");
    byte[] bytes = new byte[length];
    in.readFixed(bytes, 0, length);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Override
  public void skipString() throws IOException {
    in.skipFixed(length(in.readLong(), "string"));
  }

  @Override
  public ByteBuffer readBytes(ByteBuffer old) throws IOException {
    int length = length(in.readLong(), "bytes");
    ByteBuffer result = old != null && old.capacity() >= length ? old : ByteBuffer.allocate(length);
    result.clear();
    in.readFixed(result.array(), result.arrayOffset(), length);
    result.limit(length);
    return result;
  }

  @Override
  public void skipBytes() throws IOException {
    in.skipFixed(length(in.readLong(), "bytes"));
  }

  @Override
  public void readFixed(byte[] bytes, int start, int length) throws IOException {
    in.readFixed(bytes, start, length);
  }

  @Override
  public void skipFixed(int length) throws IOException {
    in.skipFixed(length);
  }

  @Override
  public int readEnum() throws IOException {
    return in.readEnum();
  }

  @Override
  public long readArrayStart() throws IOException {
    return count(in.readArrayStart(), "array");
  }

  @Override
  public long arrayNext() throws IOException {
    return count(in.arrayNext(), "array");
  }

  @Override
  public long skipArray() throws IOException {
    return count(in.skipArray(), "array");
  }

  @Override
  public long readMapStart() throws IOException {
    return count(in.readMapStart(), "map");
  }

  @Override
  public long mapNext() throws IOException {
    return count(in.mapNext(), "map");
  }

  @Override
  public long skipMap() throws IOException {
    return count(in.skipMap(), "map");
  }

  @Override
  public int readIndex() throws IOException {
    return in.readIndex();
  }

  boolean isEnd() throws IOException {
    return in.isEnd();
  }
}
