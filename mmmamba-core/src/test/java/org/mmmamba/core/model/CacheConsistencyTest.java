package org.mmmamba.core.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mmmamba.core.Fixtures;
import org.mmmamba.core.Offline;

/**
 * The cache invariant: feeding a sequence as a prefill followed by one token at a time gives the
 * same logits at every position as one full forward pass (KV caches for attention, conv + SSM
 * states for Mamba-2).
 */
class CacheConsistencyTest {
  static {
    Offline.init();
  }

  // llama_headdim is excluded on purpose: with dynamic NTK the rotation of cached keys depends on
  // the length
  // at which they were cached (as in HF), so incremental decoding legitimately differs from a full
  // pass.
  @ParameterizedTest
  @ValueSource(
      strings = {"llama_gqa", "qwen2_tied", "internlm2_packed", "mamba2", "mamba2_ngroups1"})
  void decodeEqualsFullForward(String name) {
    try (NDManager m = NDManager.newBaseManager();
        DecoderModel model = ModelIo.load(Fixtures.dir(name), m, DataType.FLOAT64)) {
      assertDecodeMatches(model, m, Fixtures.inputs(name), 3);
    }
  }

  /** Prefill {@code prefill} tokens, then step; compare every position with the full pass. */
  static void assertDecodeMatches(DecoderModel model, NDManager m, long[][] ids, int prefill) {
    int b = ids.length;
    int l = ids[0].length;
    int v = model.config().vocabSize();
    double[] full = model.forward(model.ids(m, ids)).toDoubleArray();
    double[] inc = new double[full.length];
    try (ModelCache cache = model.newCache(m, b, 4)) {
      int pos = 0;
      while (pos < l) {
        int n = pos == 0 ? prefill : 1;
        long[][] chunk = new long[b][];
        for (int i = 0; i < b; i++) {
          chunk[i] = java.util.Arrays.copyOfRange(ids[i], pos, pos + n);
        }
        try (NDScope scope = new NDScope()) {
          NDArray logits = model.logits(model.hidden(model.embed(model.ids(m, chunk)), cache));
          double[] part = logits.toDoubleArray();
          for (int i = 0; i < b; i++) {
            System.arraycopy(part, i * n * v, inc, (i * l + pos) * v, n * v);
          }
        }
        pos += n;
      }
    }
    double err = Fixtures.relError(inc, full);
    assertTrue(err < 1e-10, "cached decode vs full forward, relative error " + err);
  }
}
