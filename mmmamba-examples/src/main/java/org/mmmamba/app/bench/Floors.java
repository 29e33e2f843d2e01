package org.mmmamba.app.bench;

import org.mmmamba.core.config.DecoderConfig;

/**
 * Attaches the hardware floor to a result: decode = {@link Work#decodeBytes} / bandwidth; prefill =
 * {@link Work#prefillFlops} / matmul rate; Table 2 = the prefill floor of the prompt plus the
 * decode floors of the new tokens after the first; training steps = {@link Work#trainStepFlops} /
 * matmul rate (of the pass's precision). Element size from the result's precision.
 */
final class Floors {
  private Floors() {}

  static BenchResult apply(BenchResult r, BenchConfig c, HardwareFloors hw) {
    DecoderConfig dc = BenchModels.config(c, r.model());
    int e =
        (r.precision() == null ? BenchPrecision.FP32 : BenchPrecision.parse(r.precision()))
            .dtype(c.dtype())
            .getNumOfBytes();
    switch (r.phase()) {
      case STAGE1:
      case STAGE2:
      case STAGE3:
        {
          double flops =
              Work.trainStepFlops(
                  BenchModels.config(c, BenchModel.TEACHER),
                  BenchModels.config(c, BenchModel.LINEAR),
                  r.phase(),
                  r.context(),
                  r.batch());
          return r.withFloor(hw.flopsMs(flops), "flops/matmul", flops);
        }
      case DECODE:
        {
          double bytes = Work.decodeBytes(dc, r.context(), e);
          return r.withFloor(hw.bytesMs(bytes), "bytes/bandwidth", bytes);
        }
      case PREFILL:
        {
          double flops = Work.prefillFlops(dc, r.context());
          return r.withFloor(hw.flopsMs(flops), "flops/matmul", flops);
        }
      case TABLE2:
        {
          double flops = Work.prefillFlops(dc, r.context());
          double ms = hw.flopsMs(flops);
          for (int i = 1; i < c.table2().newTokens(); i++) {
            ms += hw.bytesMs(Work.decodeBytes(dc, r.context() + i - 1L, e));
          }
          return r.withFloor(ms, "flops/matmul + bytes/bandwidth", flops);
        }
      default:
        throw new IllegalArgumentException(r.phase().id());
    }
  }
}
