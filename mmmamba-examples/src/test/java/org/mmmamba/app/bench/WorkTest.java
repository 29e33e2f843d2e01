package org.mmmamba.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.mmmamba.core.config.DecoderConfig;

/**
 * The floor arithmetic against counts done by hand for the smoke dims (D 32, 4 layers, H 4, G 2, P
 * 8, F 64, V 64).
 */
class WorkTest {
  @Test
  void teacherBytesAndFlopsByHand() throws Exception {
    BenchConfig c = BenchConfig.load(BenchSmokeTest.repoFile("configs/bench/smoke.yaml"));
    DecoderConfig t = BenchModels.config(c, BenchModel.TEACHER);
    // Per layer: W_Q 32x32 + W_K 16x32 + W_V 16x32 + W_O 32x32 + MLP 3x64x32 + 2 norms x 32 = 9280;
    // x4 layers,
    // + embed 64x32 + lm_head 64x32 + final norm 32 = 41248 parameters.
    assertEquals(41248L * 4, Work.weightBytes(t, 4));
    // A step reads one embedding row (32) instead of the table (2048).
    assertEquals((41248L - 2048 + 32) * 4, Work.weightBytesPerStep(t, 4));
    // KV of 17 tokens (16 cached + the new one): 4 layers x 2 (K, V) x G 2 x 17 x P 8 x 4 bytes.
    assertEquals((41248L - 2048 + 32) * 4 + 4L * 2 * 2 * 17 * 8 * 4, Work.decodeBytes(t, 16, 4));
    // Prefill of 16: per layer 2 x 16 x (6144 + 32x(32+16+16) + 32x32) + 4 x H 4 x P 8 x 136 pairs;
    // + LM head 2x32x64.
    double perLayer = 2.0 * 16 * (6144 + 2048 + 1024) + 4.0 * 4 * 8 * 136;
    assertEquals(4 * perLayer + 2 * 32 * 64, Work.prefillFlops(t, 16), 1e-6);
  }

  @Test
  void studentStateIsConstantInContext() throws Exception {
    BenchConfig c = BenchConfig.load(BenchSmokeTest.repoFile("configs/bench/smoke.yaml"));
    DecoderConfig l = BenchModels.config(c, BenchModel.LINEAR);
    assertEquals(Work.decodeBytes(l, 16, 4), Work.decodeBytes(l, 1 << 20, 4));
    // SSM state H 4 x P 8 x N 8 and conv state (K-1) 1 x (x 16 + B 16 + C 32) channels, read and
    // written, per layer.
    long state = 2L * (4 * 8 * 8 + 64) * 4;
    assertEquals(Work.weightBytesPerStep(l, 4) + 4 * state, Work.decodeBytes(l, 16, 4));
    DecoderConfig h = BenchModels.config(c, BenchModel.HYBRID);
    // Hybrid (attention at 0 and 2): two KV caches and two states.
    assertEquals(
        Work.weightBytesPerStep(h, 4) + 2 * state + 2L * 2 * 2 * 17 * 8 * 4,
        Work.decodeBytes(h, 16, 4));
  }
}
