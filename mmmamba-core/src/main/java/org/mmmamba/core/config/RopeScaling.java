package org.mmmamba.core.config;

import org.mmmamba.core.BadInputException;

/**
 * RoPE frequency scaling.
 *
 * <p>{@code DYNAMIC} is the dynamic-NTK rule that InternLM2 (and HF's {@code rope_type: dynamic})
 * use: once the sequence seen so far is longer than {@code originalMaxPositions}, the base becomes
 * {@code theta * ((factor * len / originalMax) - (factor - 1)) ^ (d / (d - 2))}. {@code LINEAR}
 * divides positions by {@code factor}.
 *
 * @param type scaling rule
 * @param factor scaling factor (> 0; 1 for NONE)
 * @param originalMaxPositions the trained context length the rule refers to
 */
public record RopeScaling(Type type, double factor, int originalMaxPositions) {
  /** Supported rules. */
  public enum Type {
    NONE,
    LINEAR,
    DYNAMIC
  }

  /** No scaling. */
  public static RopeScaling none() {
    return new RopeScaling(Type.NONE, 1.0, 0);
  }

  /** Checks the values; {@code where} names the config for the error message. */
  public RopeScaling validate(String where) {
    if (type != Type.NONE && !(factor > 0)) {
      throw new BadInputException(where + ": rope scaling factor must be > 0, got " + factor);
    }
    if (type == Type.DYNAMIC && originalMaxPositions <= 0) {
      throw new BadInputException(
          where + ": dynamic rope scaling needs max_position_embeddings > 0");
    }
    return this;
  }

  /**
   * The RoPE base to use when the sequence (cache plus current chunk) is {@code seqLen} long.
   *
   * @param theta the configured base
   * @param rotaryDim the number of rotated dimensions (head dim)
   */
  public double base(double theta, int seqLen, int rotaryDim) {
    if (type != Type.DYNAMIC || seqLen <= originalMaxPositions) {
      return theta;
    }
    double scale = (factor * seqLen / originalMaxPositions) - (factor - 1);
    return theta * Math.pow(scale, rotaryDim / (rotaryDim - 2.0));
  }

  /** Position divisor for LINEAR scaling, 1 otherwise. */
  public double positionDivisor() {
    return type == Type.LINEAR ? factor : 1.0;
  }
}
