package org.mmmamba.core.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.DecoderConfig;

/**
 * A 32K-token prefill on a small model, the scaled-down shape of HoVLE's 8K samples: the
 * query-blocked attention never builds the 32K x 32K score matrix (it would take 4 GiB per head in
 * fp32). The last positions of the full pass must equal a KV-cached continuation after a (32K -
 * 8)-token prefill.
 */
class LongPrefillTest {
  static {
    Offline.init();
  }

  @Test
  void prefill32kEqualsCachedContinuation() {
    int l = 32768;
    int tail = 8;
    DecoderConfig c = DecoderConfig.llama(50, 32, 1, 2, 1, 16, 32);
    long[][] ids = new long[1][l];
    SplittableRandom rng = new SplittableRandom(1);
    for (int t = 0; t < l; t++) {
      ids[0][t] = rng.nextInt(50);
    }
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel model = RandomWeights.model(c, m, DataType.FLOAT32, 3)) {
      float[] full;
      try (NDScope s = new NDScope()) {
        NDArray h = model.hidden(model.embed(model.ids(m, ids)), null);
        full = model.logits(h.get(":, {}:, :", l - tail)).toFloatArray();
      }
      float[] inc = new float[full.length];
      try (ModelCache cache = model.newCache(m, 1, l)) {
        try (NDScope s = new NDScope()) {
          model.hidden(
              model.embed(model.ids(m, new long[][] {Arrays.copyOf(ids[0], l - tail)})), cache);
        }
        for (int t = 0; t < tail; t++) {
          try (NDScope s = new NDScope()) {
            long[][] one = {{ids[0][l - tail + t]}};
            float[] row =
                model
                    .lastLogits(model.hidden(model.embed(model.ids(m, one)), cache))
                    .toFloatArray();
            System.arraycopy(row, 0, inc, t * 50, 50);
          }
        }
      }
      double err = 0;
      double scale = 0;
      for (int i = 0; i < full.length; i++) {
        err = Math.max(err, Math.abs(full[i] - inc[i]));
        scale = Math.max(scale, Math.abs(full[i]));
      }
      assertTrue(
          err / scale < 1e-4, "32K prefill vs cached continuation: relative error " + err / scale);
    }
  }
}
