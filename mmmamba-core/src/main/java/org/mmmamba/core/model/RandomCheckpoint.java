package org.mmmamba.core.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.mmmamba.core.config.VlmConfig;
import org.mmmamba.core.config.VlmConfigs;
import org.mmmamba.core.io.AtomicText;
import org.mmmamba.core.io.CheckpointWriter;
import org.mmmamba.core.io.Dtype;
import org.mmmamba.core.io.HovleWeightMap;
import org.mmmamba.core.io.SafetensorsWriter;
import org.mmmamba.core.io.WeightMap;

/**
 * Writes a random-weight vision-language teacher straight to disk in the HoVLE layout ({@code
 * config.json} plus sharded safetensors and {@code model.safetensors.index.json}), without a model
 * in memory: each tensor is generated when the writer streams it, one at a time (HoVLE-2.6B in BF16
 * is 5.2 GB; the largest tensor, the 92,553 x 2048 text table, is 379 MB as BF16). For benchmarks
 * and dry runs at the paper's scale; no Python.
 *
 * <p>Values: tensors whose name ends in {@code norm.weight} are 1, {@code .bias} tensors 0, every
 * other tensor N(0, std^2) (Box-Muller from {@link SplittableRandom}), deterministic from the seed
 * and the tensor's name, generated in parallel blocks of {@value #BLOCK} elements.
 */
public final class RandomCheckpoint {
  /**
   * Elements per parallel generation block (each block has its own stream, split from the
   * tensor's).
   */
  static final int BLOCK = 1 << 20;

  private RandomCheckpoint() {}

  /**
   * Writes the checkpoint.
   *
   * @param c the model's config (our HoVLE layout; see {@link VlmConfigs})
   * @param dir output directory (created)
   * @param dtype file dtype: BF16 or F32
   * @param seed random seed
   * @param std standard deviation of the matrices
   * @param maxShardBytes most bytes of tensor data per shard
   * @return the number of parameters written
   */
  public static long write(
      VlmConfig c, Path dir, Dtype dtype, long seed, double std, long maxShardBytes) {
    if (dtype != Dtype.BF16 && dtype != Dtype.F32) {
      throw new IllegalArgumentException("dtype must be BF16 or F32, got " + dtype);
    }
    WeightMap map = HovleWeightMap.of(c);
    SafetensorsWriter sw = new SafetensorsWriter().metadata("format", "pt");
    long total = 0;
    for (WeightMap.Entry e : map.entries()) {
      long n = 1;
      for (long d : e.shape()) {
        n *= d;
      }
      total += n;
      long tensorSeed = seed * 0x9E3779B97F4A7C15L ^ e.name().hashCode();
      long count = n;
      sw.add(e.name(), dtype, e.shape(), () -> generate(e.name(), count, dtype, tensorSeed, std));
    }
    CheckpointWriter.write(dir, sw, maxShardBytes);
    AtomicText.writeString(dir.resolve("config.json"), VlmConfigs.toJsonString(c));
    return total;
  }

  /** The tensor's bytes (little-endian). */
  static ByteBuffer generate(String name, long n, Dtype dtype, long seed, double std) {
    if (n * dtype.bytes() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "tensor '" + name + "' has " + n + " elements: over 2 GiB in one buffer");
    }
    ByteBuffer out = ByteBuffer.allocate((int) (n * dtype.bytes())).order(ByteOrder.LITTLE_ENDIAN);
    double constant =
        name.endsWith("norm.weight") ? 1.0 : name.endsWith(".bias") ? 0.0 : Double.NaN;
    int blocks = (int) ((n + BLOCK - 1) / BLOCK);
    SplittableRandom root = new SplittableRandom(seed);
    SplittableRandom[] streams = new SplittableRandom[blocks];
    for (int b = 0; b < blocks; b++) {
      streams[b] = root.split();
    }
    IntStream.range(0, blocks)
        .parallel()
        .forEach(
            b -> {
              SplittableRandom rng = streams[b];
              long from = (long) b * BLOCK;
              long to = Math.min(n, from + BLOCK);
              for (long i = from; i < to; i++) {
                float v =
                    Double.isNaN(constant)
                        ? (float) (std * RandomWeights.gaussian(rng))
                        : (float) constant;
                int at = (int) (i * dtype.bytes());
                if (dtype == Dtype.BF16) {
                  out.putShort(at, bf16(v));
                } else {
                  out.putFloat(at, v);
                }
              }
            });
    return out;
  }

  /** float32 to bfloat16, rounded to nearest even (finite inputs). */
  static short bf16(float v) {
    int bits = Float.floatToRawIntBits(v);
    int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
    return (short) (rounded >>> 16);
  }
}
