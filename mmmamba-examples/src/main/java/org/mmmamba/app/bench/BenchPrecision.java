package org.mmmamba.app.bench;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;
import org.mmmamba.distill.precision.Precision;

/**
 * The precision of one benchmark pass: the array type of weights, caches and activations, the
 * distillation precision of its training steps, and whether libtorch must run fp32 matmuls on TF32
 * tensor cores ({@code TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1}, read when libtorch loads; no effect on
 * a CPU).
 */
public enum BenchPrecision {
  /** float32, strict fp32 matmuls. */
  FP32("fp32", DataType.FLOAT32, Precision.FP32),
  /** float32 arrays, TF32 cuBLAS matmuls. */
  TF32("tf32", DataType.FLOAT32, Precision.TF32),
  /** float16 weights and activations; training as fp16-mixed (float32 masters, loss scaling). */
  FP16("fp16", DataType.FLOAT16, Precision.FP16_MIXED);

  private final String key;
  private final DataType dtype;
  private final Precision training;

  BenchPrecision(String key, DataType dtype, Precision training) {
    this.key = key;
    this.dtype = dtype;
    this.training = training;
  }

  /** The config and JSON spelling. */
  public String key() {
    return key;
  }

  /** Array type of the pass (FLOAT32 for fp32/tf32 unless the config's dtype is float64). */
  public DataType dtype(String configDtype) {
    return this == FP32 ? org.mmmamba.core.Devices.dtype(configDtype) : dtype;
  }

  /** The distillation precision of the training steps. */
  public Precision training() {
    return training;
  }

  /** Whether this pass needs {@link Precision#TF32_ENV}=1 in its process. */
  public boolean needsTf32Env() {
    return this == TF32;
  }

  /** Whether this process's environment suits the pass (else it runs in a child JVM). */
  public boolean runsHere() {
    String v = System.getenv(Precision.TF32_ENV);
    boolean on = v != null && "1".equals(v.strip());
    return on == needsTf32Env();
  }

  /** Parses fp32, tf32 or fp16. */
  public static BenchPrecision parse(String s) {
    String v = s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
    for (BenchPrecision p : values()) {
      if (p.key.equals(v)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown precision '" + s + "' (fp32, tf32, fp16)");
  }
}
