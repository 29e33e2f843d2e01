package org.mmmamba.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mmmamba.core.Fixtures;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.ParamNames;
import org.mmmamba.core.nn.Fp32;

/**
 * A float16 student (float32 islands: norms, dt, the SSD scan and its skip term) against its
 * float64 twin (the same code; float64 itself is checked against the HF fixtures elsewhere),
 * forward and gradients, with autograd recording (the training path), at batch 1 (down-casts over
 * the batch axis) and batch 2 (over a new axis). The tolerances are float16's without a loss scale
 * (gradients up to 15 % off in the max-norm, measured: W_dt's are the smallest). A cast that cuts
 * the graph leaves a parameter without its gradient and fails here (checked by breaking {@code
 * Fp32.as}).
 */
class MixedPrecisionStudentTest {
  static {
    Offline.init();
  }

  @ParameterizedTest
  @CsvSource({
    "linear, false, 1",
    "linear, true, 1",
    "linear, true, 2",
    "head-interleaved:2, true, 1"
  })
  void float16TracksFloat64(String layout, boolean useD, int rows) {
    try (NDManager m = NDManager.newBaseManager()) {
      boolean was = JniUtils.isGradMode();
      try (DecoderModel s64 = StudentCacheConsistencyTest.student(m, layout, 2, 4, useD)) {
        Weights w16 = new Weights(m, DataType.FLOAT16);
        for (String n : s64.weights().names()) {
          w16.put(n, s64.weights().get(n).toType(DataType.FLOAT16, false));
        }
        try (DecoderModel s16 = new DecoderModel(s64.config(), w16)) {
          // the mixers' parameters train (as in stages 1-3); the rest stays frozen
          List<String> trained = new ArrayList<>();
          for (int i = 0; i < s64.config().numLayers(); i++) {
            for (String role :
                new String[] {
                  "W_x",
                  "W_B",
                  "W_C",
                  "W_G",
                  "W_dt",
                  "W_O",
                  "conv.weight",
                  "conv.bias",
                  "A_log",
                  "dt_bias",
                  "D",
                  "norm.weight"
                }) {
              String n = ParamNames.mamba(i, role);
              if (s64.weights().contains(n)) {
                trained.add(n);
              }
            }
          }
          assertTrue(trained.size() >= 5, "trained parameters: " + trained);
          for (String n : trained) {
            s64.weights().get(n).setRequiresGradient(true);
            w16.get(n).setRequiresGradient(true);
          }
          long[][] ids = StudentCacheConsistencyTest.ids(rows, 13, 4);
          JniUtils.setGradMode(true);
          float[] pv = new float[rows * 13 * 41];
          java.util.SplittableRandom rng = new java.util.SplittableRandom(17);
          for (int i = 0; i < pv.length; i++) {
            pv[i] = (float) (2 * rng.nextDouble() - 1);
          }
          NDArray probe = m.create(pv, new ai.djl.ndarray.types.Shape(rows, 13, 41));
          NDArray l64 = s64.forward(s64.ids(m, ids));
          NDArray l16 = s16.forward(s16.ids(m, ids));
          assertEquals(DataType.FLOAT16, l16.getDataType());
          backward(l64.mul(probe.toType(DataType.FLOAT64, false)).sum());
          backward(Fp32.up(l16).mul(probe).sum());
          JniUtils.setGradMode(false);
          double err =
              Fixtures.relError(
                  l16.toType(DataType.FLOAT64, false).toDoubleArray(), l64.toDoubleArray());
          assertTrue(err < 2e-2, "logits, relative error " + err);
          for (String n : trained) {
            double[] g64 = s64.weights().get(n).getGradient().toDoubleArray();
            double[] g16 = w16.get(n).getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
            double e = Fixtures.relError(g16, g64);
            assertTrue(e < 0.25, n + " gradient, relative error " + e);
          }
        }
      } finally {
        JniUtils.setGradMode(was);
      }
    }
  }

  private static void backward(NDArray loss) {
    try (NDArray ones = loss.onesLike()) {
      JniUtils.backward((PtNDArray) loss, (PtNDArray) ones, false, false);
    }
  }
}
