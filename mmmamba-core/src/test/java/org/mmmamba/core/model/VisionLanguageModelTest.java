package org.mmmamba.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Fixtures;
import org.mmmamba.core.Offline;
import org.mmmamba.core.VlmFixtures;
import org.mmmamba.core.config.ParamNames;
import org.mmmamba.core.config.VlmConfig;
import org.mmmamba.core.generate.GenerationConfig;
import org.mmmamba.core.generate.VlmGenerator;

/** Splicing, gradients, caching, generation and errors of the vision-language model. */
class VisionLanguageModelTest {
  static {
    Offline.init();
  }

  private static VlmConfig config(String kind) {
    return kind.equals("hybrid") ? VlmFixtures.hybrid() : VlmFixtures.teacher();
  }

  /**
   * Rows of inputEmbeds: image tokens exactly at the IMG_CONTEXT positions, in tile order; text
   * rows elsewhere.
   */
  @Test
  void imageTokensLandExactlyAtPlaceholders() {
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel vlm =
            RandomWeights.vlm(VlmFixtures.teacher(), m, DataType.FLOAT64, 5, 0.5)) {
      long[][] prompts = VlmFixtures.prompts();
      List<NDArray> px = VlmFixtures.promptPixels(m, DataType.FLOAT64);
      double[] got = vlm.inputEmbeds(vlm.ids(m, prompts), px).toDoubleArray();
      double[] table = vlm.decoder().weights().get(ParamNames.EMBED).toDoubleArray();
      int d = 16;
      int l = prompts[0].length;
      for (int b = 0; b < 2; b++) {
        double[] img = vlm.vision().embed(px.get(b)).toDoubleArray(); // (T, 4, D), tokens in order
        int k = 0;
        for (int t = 0; t < l; t++) {
          double[] row = Arrays.copyOfRange(got, (b * l + t) * d, (b * l + t + 1) * d);
          int id = (int) prompts[b][t];
          double[] want =
              id == VlmFixtures.CTX
                  ? Arrays.copyOfRange(img, k * d, (++k) * d)
                  : Arrays.copyOfRange(table, id * d, (id + 1) * d);
          assertArrayEquals(want, row, 0.0, "sample " + b + " position " + t);
        }
        assertEquals(img.length / d, k, "every image token used once");
      }
      // text only: the plain embedding lookup
      long[][] text = {{1, 7, 8, 9}};
      assertArrayEquals(
          vlm.decoder().embed(vlm.ids(m, text)).toDoubleArray(),
          vlm.inputEmbeds(vlm.ids(m, text), null).toDoubleArray(),
          0.0);
    }
  }

  /**
   * One backward on a scalar reaches the vision weights and the text table, but not the
   * placeholder's row.
   */
  @Test
  void gradientsReachVisionAndText() {
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel vlm =
            RandomWeights.vlm(VlmFixtures.teacher(), m, DataType.FLOAT32, 5, 0.5)) {
      Map<String, NDArray> params = vlm.parameters();
      params.values().forEach(a -> a.setRequiresGradient(true));
      try (NDScope scope = new NDScope();
          GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray logits =
            vlm.forward(
                vlm.ids(m, VlmFixtures.prompts()), VlmFixtures.promptPixels(m, DataType.FLOAT32));
        gc.backward(logits.square().mean());
        for (String name :
            List.of(
                ParamNames.VISION_PATCH_W,
                ParamNames.VISION_PATCH_B,
                ParamNames.VISION_POS,
                ParamNames.VISION_PROJ1_W,
                ParamNames.VISION_PROJ1_B,
                ParamNames.VISION_PROJ2_W,
                ParamNames.VISION_PROJ2_B,
                ParamNames.EMBED,
                ParamNames.attn(0, "W_Q"),
                ParamNames.LM_HEAD)) {
          assertTrue(absSum(params.get(name).getGradient()) > 0, name + " has no gradient");
        }
        NDArray pos = params.get(ParamNames.VISION_POS).getGradient();
        assertEquals(0.0, absSum(pos.get("0")), "the class slot of vision.pos is unused");
        assertEquals(
            0.0,
            absSum(params.get(ParamNames.VISION_CLASS).getGradient()),
            "vision.class is unused");
        assertEquals(
            0.0,
            absSum(params.get(ParamNames.LLM_TOK_EMBED).getGradient()),
            "the LLM's own token table is unused");
        NDArray embGrad = params.get(ParamNames.EMBED).getGradient();
        assertEquals(
            0.0,
            absSum(embGrad.get(new NDIndex("{}", VlmFixtures.CTX))),
            "every IMG_CONTEXT embedding is replaced, so its row gets no gradient");
        assertTrue(absSum(embGrad.get(new NDIndex("{}", VlmFixtures.START))) > 0);
      } finally {
        params.values().forEach(a -> a.setRequiresGradient(false));
      }
    }
  }

  private static double absSum(NDArray a) {
    return a.abs().sum().toType(DataType.FLOAT64, false).getDouble();
  }

  /**
   * Prefill with the image, then one text token at a time, equals the full forward at every
   * position.
   */
  @ParameterizedTest
  @ValueSource(strings = {"teacher", "hybrid"})
  void decodeAfterMultimodalPrefillEqualsFullForward(String kind) {
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel vlm = RandomWeights.vlm(config(kind), m, DataType.FLOAT64, 9, 0.5)) {
      long[][] ids = VlmFixtures.prompts();
      int b = ids.length;
      int l = ids[0].length;
      int v = 40;
      int prefill = 10;
      NDArray embeds =
          vlm.inputEmbeds(vlm.ids(m, ids), VlmFixtures.promptPixels(m, DataType.FLOAT64));
      double[] full = vlm.logits(embeds, null).toDoubleArray();
      double[] inc = new double[full.length];
      try (ModelCache cache = vlm.newCache(m, b, 4)) {
        for (int pos = 0; pos < l; pos += pos == 0 ? prefill : 1) {
          int n = pos == 0 ? prefill : 1;
          try (NDScope scope = new NDScope()) {
            NDArray in;
            if (pos == 0) {
              in = embeds.get(new NDIndex(":, 0:{}, :", prefill));
            } else {
              long[][] tok = new long[b][1];
              for (int i = 0; i < b; i++) {
                tok[i][0] = ids[i][pos];
              }
              in = vlm.decoder().embed(vlm.ids(m, tok)); // as generation embeds new text tokens
            }
            double[] part = vlm.logits(in, cache).toDoubleArray();
            for (int i = 0; i < b; i++) {
              System.arraycopy(part, i * n * v, inc, (i * l + pos) * v, n * v);
            }
          }
        }
      }
      double err = Fixtures.relError(inc, full);
      assertTrue(err < 1e-10, kind + ": cached decode vs full forward, relative error " + err);
      // the image matters: without it (placeholders embedded as text) the logits differ
      NDArray textOnly = vlm.decoder().forward(vlm.ids(m, ids));
      assertTrue(Fixtures.relError(textOnly.toDoubleArray(), full) > 1e-6);
    }
  }

  /**
   * Greedy VLM generation picks, at each step, the argmax of a full multimodal forward of the
   * sequence so far.
   */
  @Test
  void generationFollowsFullForward() {
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel vlm =
            RandomWeights.vlm(VlmFixtures.hybrid(), m, DataType.FLOAT64, 13, 0.5)) {
      long[][] prompts = VlmFixtures.prompts();
      List<NDArray> px = VlmFixtures.promptPixels(m, DataType.FLOAT64);
      long[][] out = VlmGenerator.generate(vlm, prompts, px, GenerationConfig.greedy(3));
      for (int b = 0; b < 2; b++) {
        assertEquals(prompts[b].length + 3, out[b].length);
        for (int t = prompts[b].length; t < out[b].length; t++) {
          long[][] prefix = {Arrays.copyOf(out[b], t)};
          try (NDScope scope = new NDScope()) {
            NDArray logits = vlm.forward(vlm.ids(m, prefix), List.of(px.get(b)));
            long want =
                logits.get(new NDIndex("0, -1")).argMax().toType(DataType.INT64, false).getLong();
            assertEquals(want, out[b][t], "sample " + b + " step " + t);
          }
        }
      }
    }
  }

  /** Forward passes and generation inside scopes leave the weight stores' managers as they were. */
  @Test
  void noArraysAccumulateInTheWeightStores() {
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel vlm =
            RandomWeights.vlm(VlmFixtures.hybrid(), m, DataType.FLOAT32, 5, 0.5)) {
      int vision = vlm.visionWeights().manager().getManagedArrays().size();
      int stack = vlm.decoder().weights().manager().getManagedArrays().size();
      try (NDManager step = m.newSubManager()) {
        List<NDArray> px = VlmFixtures.promptPixels(step, DataType.FLOAT32);
        for (int i = 0; i < 3; i++) {
          try (NDScope scope = new NDScope()) {
            vlm.forward(vlm.ids(step, VlmFixtures.prompts()), px);
            NDArray small =
                VlmFixtures.pixels(step, 1, 24, 1, DataType.FLOAT32); // resized positions too
            vlm.vision().embed(small);
          }
          VlmGenerator.generate(vlm, VlmFixtures.prompts(), px, GenerationConfig.greedy(2));
        }
      }
      assertEquals(vision, vlm.visionWeights().manager().getManagedArrays().size());
      assertEquals(stack, vlm.decoder().weights().manager().getManagedArrays().size());
    }
  }

  @Test
  void errorsNameTheSample() {
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel vlm =
            RandomWeights.vlm(VlmFixtures.teacher(), m, DataType.FLOAT32, 5, 0.5)) {
      long[][] prompts = VlmFixtures.prompts();
      NDArray ids = vlm.ids(m, prompts);
      List<NDArray> px = new ArrayList<>(VlmFixtures.promptPixels(m, DataType.FLOAT32));
      // sample 1 has 8 placeholders but only one tile
      List<NDArray> oneTile = List.of(px.get(0), VlmFixtures.pixels(m, 1, 16, 3, DataType.FLOAT32));
      assertMessage(
          () -> vlm.inputEmbeds(ids, oneTile),
          "sample 1: 8 <IMG_CONTEXT> tokens (id 5)",
          "1 tile(s) x 4 image tokens = 4");
      List<NDArray> missing = new ArrayList<>(px);
      missing.set(0, null);
      assertMessage(() -> vlm.inputEmbeds(ids, missing), "sample 0: 4 <IMG_CONTEXT>", "no image");
      assertMessage(() -> vlm.inputEmbeds(ids, null), "sample 0");
      List<NDArray> badShape =
          List.of(px.get(0), m.zeros(new ai.djl.ndarray.types.Shape(2, 3, 15, 15)));
      assertMessage(() -> vlm.inputEmbeds(ids, badShape), "pixels of sample 1", "(2, 3, 15, 15)");
      List<NDArray> badChannels =
          List.of(m.zeros(new ai.djl.ndarray.types.Shape(1, 1, 16, 16)), px.get(1));
      assertMessage(() -> vlm.inputEmbeds(ids, badChannels), "pixels of sample 0");
      assertMessage(() -> vlm.inputEmbeds(ids, List.of(px.get(0))), "1 entries for a batch of 2");
    }
  }

  private static void assertMessage(org.junit.jupiter.api.function.Executable f, String... parts) {
    BadInputException e = assertThrows(BadInputException.class, f);
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), e.getMessage() + " should contain " + p);
    }
  }

  /**
   * A student shares the teacher's vision weights; closing the student leaves the teacher intact.
   */
  @Test
  void studentSharesVisionWeights() {
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel teacher =
            RandomWeights.vlm(VlmFixtures.teacher(), m, DataType.FLOAT32, 5, 0.5)) {
      VlmConfig hy = VlmFixtures.hybrid();
      DecoderModel studentStack = RandomWeights.model(hy.stack(), m, DataType.FLOAT32, 21);
      NDArray ids = teacher.ids(m, VlmFixtures.prompts());
      List<NDArray> px = VlmFixtures.promptPixels(m, DataType.FLOAT32);
      try (VisionLanguageModel student = teacher.withDecoder(studentStack)) {
        assertFalse(student.ownsVision());
        assertTrue(student.visionWeights() == teacher.visionWeights());
        assertEquals(hy.stack(), student.config().stack());
        assertEquals(
            teacher.vision().embed(px.get(1)).toFloatArray().length,
            student.vision().embed(px.get(1)).toFloatArray().length);
        assertArrayEquals(
            teacher.vision().embed(px.get(1)).toFloatArray(),
            student.vision().embed(px.get(1)).toFloatArray(),
            0f);
        student.forward(ids, px);
      }
      assertTrue(teacher.visionWeights().contains(ParamNames.VISION_POS));
      teacher.forward(ids, px); // vision weights still alive
      DecoderModel wrong =
          RandomWeights.model(
              org.mmmamba.core.config.DecoderConfig.llama(40, 16, 3, 2, 1, 8, 32),
              m,
              DataType.FLOAT32,
              1);
      assertMessage(() -> teacher.withDecoder(wrong), "does not fit");
      wrong.close();
      DecoderModel llama =
          RandomWeights.model(
              org.mmmamba.core.config.DecoderConfig.llama(40, 16, 4, 2, 1, 8, 32),
              m,
              DataType.FLOAT32,
              1);
      assertMessage(() -> teacher.withDecoder(llama), "student decoder", "InternLM2");
      llama.close();
    }
  }
}
