package org.mmmamba.distill.precision;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;
import org.mmmamba.core.BadInputException;

/**
 * How a training run computes ({@code run.precision}; docs/cuda.md#precision).
 *
 * <ul>
 *   <li>{@link #FP32}: everything in float32; on a GPU, cuBLAS in strict fp32 (no TF32).
 *   <li>{@link #TF32}: float32 arrays, but libtorch's cuBLAS uses TF32 tensor cores for fp32
 *       matmuls. DJL 0.36 has no switch for it: libtorch reads {@code
 *       TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1} from the environment when it loads, so the variable
 *       must be set before the JVM starts ({@code scripts/mmmamba} does it when the config or a
 *       {@code --set} asks for tf32; a JVM started otherwise refuses the run with a one-line
 *       error).
 *   <li>{@link #FP16_MIXED}: frozen weights (teacher, MLPs, embeddings, norms) and activations in
 *       float16; trainable parameters kept as float32 masters ({@link MasterWeights}) that AdamW
 *       updates from float32 gradients; RMSNorm statistics, softmax, the SSD scan (state and decay
 *       products) and the losses computed in float32; dynamic loss scaling ({@link LossScaler}).
 * </ul>
 *
 * BF16 is refused: DJL 0.36 aborts the JVM on bfloat16 arrays (its native dtype switch stops at
 * ordinal 8).
 */
public enum Precision {
  /** Strict float32. */
  FP32("fp32"),
  /** float32 arrays with TF32 cuBLAS matmuls. */
  TF32("tf32"),
  /** float16 compute with float32 masters and loss scaling. */
  FP16_MIXED("fp16-mixed");

  /**
   * The environment variable libtorch reads at load time to let cuBLAS use TF32 for fp32 matmuls.
   */
  public static final String TF32_ENV = "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE";

  private final String key;

  Precision(String key) {
    this.key = key;
  }

  /** The config spelling ({@code fp32}, {@code tf32}, {@code fp16-mixed}). */
  public String key() {
    return key;
  }

  /** The array type of activations and frozen weights. */
  public DataType computeType() {
    return this == FP16_MIXED ? DataType.FLOAT16 : DataType.FLOAT32;
  }

  /** True when trainable parameters need float32 masters and loss scaling. */
  public boolean mixed() {
    return this == FP16_MIXED;
  }

  /**
   * Parses a config value.
   *
   * @param where prefix of the error message (file, line and key)
   * @throws BadInputException for any other value (bf16 with its reason)
   */
  public static Precision parse(String value, String where) {
    String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
    for (Precision p : values()) {
      if (p.key.equals(v)) {
        return p;
      }
    }
    if (v.startsWith("bf16") || v.startsWith("bfloat16")) {
      throw new BadInputException(
          where
              + " '"
              + value
              + "' is not supported: DJL 0.36 aborts the JVM on bfloat16 "
              + "arrays; use fp16-mixed (float16 compute, float32 masters, loss scaling)");
    }
    throw new BadInputException(where + " must be fp32, tf32 or fp16-mixed, got '" + value + "'");
  }

  /**
   * Checks that the process environment matches this precision: TF32 needs {@link #TF32_ENV}=1
   * (read by libtorch when it loads, so it cannot be set from Java); FP32 and FP16_MIXED must not
   * have it, or "fp32" would silently run TF32 matmuls.
   *
   * @param env the value of {@link #TF32_ENV} (null when unset)
   * @param where prefix of the error message
   * @throws BadInputException on a mismatch
   */
  public void checkEnvironment(String env, String where) {
    boolean on = "1".equals(env == null ? null : env.strip());
    if (this == TF32 && !on) {
      throw new BadInputException(
          where
              + " tf32 needs "
              + TF32_ENV
              + "=1 in the environment before the JVM starts "
              + "(libtorch reads it when it loads); scripts/mmmamba sets it when the config says tf32");
    }
    if (this != TF32 && on) {
      throw new BadInputException(
          where
              + " "
              + key
              + " but "
              + TF32_ENV
              + "=1 is set: fp32 matmuls would run in "
              + "TF32; unset it or use precision tf32");
    }
  }
}
