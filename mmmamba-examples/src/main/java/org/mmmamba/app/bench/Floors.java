package org.mmmamba.app.bench;

import org.mmmamba.core.config.DecoderConfig;

/**
 * Attaches the hardware floor to a result: decode = {@link Work#decodeBytes} / bandwidth; prefill =
 * {@link Work#prefillFlops} / matmul rate; Table 2 = the prefill floor of the prompt plus the
 * decode floors of the new tokens after the first.
 */
final class Floors {
  private Floors() {}

  static BenchResult apply(BenchResult r, BenchConfig c, HardwareFloors hw) {
    DecoderConfig dc = BenchModels.config(c, r.model());
    int e = org.mmmamba.core.Devices.dtype(c.dtype()).getNumOfBytes();
    switch (r.phase()) {
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
