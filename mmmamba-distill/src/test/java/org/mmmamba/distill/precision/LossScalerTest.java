package org.mmmamba.distill.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mmmamba.core.BadInputException;

/**
 * The loss scaler against a twin written from torch's {@code _amp_update_scale_} specification
 * (growth tracker reset on overflow, growth when the tracker reaches the interval), and the
 * precision names and environment rules.
 */
class LossScalerTest {
  /** The twin: state (scale, tracker) as torch's kernel updates it for one found_inf flag. */
  private static double[] twin(
      double scale, double tracker, boolean inf, double growth, double backoff, int interval) {
    if (inf) {
      return new double[] {scale * backoff, 0};
    }
    double t = tracker + 1;
    return t == interval ? new double[] {scale * growth, 0} : new double[] {scale, t};
  }

  @Test
  void followsTheTwinOverARandomSequence() {
    java.util.Random r = new java.util.Random(7);
    LossScaler s = new LossScaler(65536, 2, 0.5, 5);
    double[] st = {65536, 0};
    int skipped = 0;
    for (int i = 0; i < 2000; i++) {
      boolean inf = r.nextInt(8) == 0;
      st = twin(st[0], st[1], inf, 2, 0.5, 5);
      assertEquals(!inf, s.update(!inf), "step " + i);
      skipped += inf ? 1 : 0;
      assertEquals(st[0], s.scale(), "scale at step " + i);
      assertEquals((int) st[1], s.goodInARow(), "tracker at step " + i);
    }
    assertEquals(skipped, s.skipped());
    assertTrue(skipped > 150);
  }

  @Test
  void countsSkipsInARow() {
    LossScaler s = LossScaler.torchDefaults();
    s.update(false);
    s.update(false);
    assertEquals(2, s.skippedInARow());
    assertEquals(16384.0, s.scale());
    s.update(true);
    assertEquals(0, s.skippedInARow());
    assertEquals(2, s.skipped());
  }

  @Test
  void precisionNamesAndEnvironment() {
    assertEquals(Precision.FP16_MIXED, Precision.parse("FP16-mixed", "k:"));
    assertEquals(Precision.TF32, Precision.parse("tf32", "k:"));
    BadInputException bf =
        assertThrows(BadInputException.class, () -> Precision.parse("bf16-mixed", "cfg.yaml:3:"));
    assertTrue(
        bf.getMessage().startsWith("cfg.yaml:3: 'bf16-mixed' is not supported: DJL 0.36 aborts"),
        bf.getMessage());
    assertThrows(BadInputException.class, () -> Precision.parse("fp8", "k:"));
    Precision.TF32.checkEnvironment("1", "k:");
    Precision.FP32.checkEnvironment(null, "k:");
    BadInputException e =
        assertThrows(BadInputException.class, () -> Precision.TF32.checkEnvironment(null, "k:"));
    assertTrue(e.getMessage().contains("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1"), e.getMessage());
    assertThrows(BadInputException.class, () -> Precision.FP32.checkEnvironment("1", "k:"));
  }
}
