package org.mmmamba.core;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * Device and dtype choices from config strings. {@code auto} picks the first GPU when DJL's PyTorch
 * engine has CUDA (a CUDA libtorch, see docs/cuda.md), the CPU otherwise. Compute is FP32 on CPU
 * unless asked otherwise; BF16 is refused because DJL 0.36 aborts the JVM on BF16 arrays.
 */
public final class Devices {
  private Devices() {}

  /** "auto", "cpu", "gpu" or "gpuN". */
  public static Device resolve(String name) {
    String n = name == null ? "auto" : name.toLowerCase(Locale.ROOT);
    switch (n) {
      case "cpu":
        return Device.cpu();
      case "auto":
        return Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
      default:
        if (n.startsWith("gpu")) {
          if (Engine.getInstance().getGpuCount() == 0) {
            throw new BadInputException(
                "device '"
                    + name
                    + "' requested but the PyTorch engine has no CUDA "
                    + "(set PYTORCH_LIBRARY_PATH to a CUDA libtorch 2.7.1, see docs/cuda.md)");
          }
          return n.equals("gpu") ? Device.gpu() : Device.gpu(Integer.parseInt(n.substring(3)));
        }
        throw new BadInputException("unknown device '" + name + "' (auto, cpu, gpu, gpuN)");
    }
  }

  /** "float32" / "fp32", "float64" / "fp64", "float16" / "fp16". */
  public static DataType dtype(String name) {
    switch (name == null ? "float32" : name.toLowerCase(Locale.ROOT)) {
      case "float32":
      case "fp32":
        return DataType.FLOAT32;
      case "float64":
      case "fp64":
        return DataType.FLOAT64;
      case "float16":
      case "fp16":
        return DataType.FLOAT16;
      case "bfloat16":
      case "bf16":
        throw new BadInputException(
            "dtype bfloat16 is not supported: DJL 0.36 aborts the JVM on BF16 arrays "
                + "(checkpoints in BF16 are widened to float32 when loaded)");
      default:
        throw new BadInputException("unknown dtype '" + name + "' (float32, float64, float16)");
    }
  }

  /** A root manager on the resolved device. */
  public static NDManager newManager(String device) {
    return NDManager.newBaseManager(resolve(device));
  }
}
