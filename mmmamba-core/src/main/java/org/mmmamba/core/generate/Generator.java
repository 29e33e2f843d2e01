package org.mmmamba.core.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.mmmamba.core.api.InputLimits;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.ModelCache;

/**
 * Prefill then token-by-token decode with the model's caches (KV caches for attention layers,
 * constant-size states for Mamba-2 layers). One host read per step (the last logits).
 */
public final class Generator {
  private Generator() {}

  /**
   * Generates continuations for equal-length prompts.
   *
   * @param prompts (B, L) token ids
   * @return per row: the prompt followed by the new tokens (up to and including a stop token)
   */
  public static long[][] generate(DecoderModel model, long[][] prompts, GenerationConfig cfg) {
    cfg.validate();
    try (NDManager m = model.weights().manager().getParentManager().newSubManager()) {
      NDArray ids = model.ids(m, prompts);
      return generate(model, model.embed(ids), prompts, cfg, m);
    }
  }

  /**
   * Generates from prompt embeddings (B, L, D) (e.g. text with image tokens spliced in); {@code
   * prompts} are the ids echoed at the start of each output row.
   */
  public static long[][] generate(
      DecoderModel model, NDArray embeds, long[][] prompts, GenerationConfig cfg, NDManager m) {
    cfg.validate();
    int b = prompts.length;
    int l = (int) embeds.getShape().get(1);
    // prompt + new tokens must fit a Java array (and the cache's int capacity); models' own limits
    // are the
    // caller's choice (InputLimits).
    InputLimits.check(
        "prompts", model.config(), prompts, cfg.maxNewTokens(), InputLimits.HARD_LIMIT);
    long[][] out = new long[b][];
    int[] len = new int[b];
    boolean[] done = new boolean[b];
    for (int i = 0; i < b; i++) {
      out[i] = Arrays.copyOf(prompts[i], prompts[i].length + cfg.maxNewTokens());
      len[i] = prompts[i].length;
    }
    if (cfg.maxNewTokens() == 0) {
      return trim(out, len);
    }
    Sampler sampler = new Sampler(cfg);
    try (ModelCache cache = model.newCache(m, b, l + cfg.maxNewTokens())) {
      double[][] logits;
      // NDScope frees every temporary of the step, including ops whose first operand is a parameter
      // (DJL puts
      // their results in the parameters' manager); caches unregister the arrays they keep.
      try (NDScope scope = new NDScope()) {
        logits = rows(model.lastLogits(model.hidden(embeds, cache)));
      }
      for (int t = 0; t < cfg.maxNewTokens(); t++) {
        long[] next = new long[b];
        int active = 0;
        for (int i = 0; i < b; i++) {
          if (done[i]) {
            next[i] = out[i][len[i] - 1];
            continue;
          }
          int tok = sampler.next(logits[i]);
          out[i][len[i]++] = tok;
          next[i] = tok;
          if (cfg.stopTokens().contains(tok)) {
            done[i] = true;
          } else {
            active++;
          }
        }
        if (active == 0 || t == cfg.maxNewTokens() - 1) {
          break;
        }
        try (NDScope scope = new NDScope()) {
          NDArray ids = m.create(next, new Shape(b, 1));
          logits = rows(model.lastLogits(model.hidden(model.embed(ids), cache)));
        }
      }
    }
    return trim(out, len);
  }

  private static long[][] trim(long[][] out, int[] len) {
    long[][] r = new long[out.length][];
    for (int i = 0; i < out.length; i++) {
      r[i] = Arrays.copyOf(out[i], len[i]);
    }
    return r;
  }

  /** (B, V) logits to host rows. */
  static double[][] rows(NDArray logits) {
    int b = (int) logits.getShape().get(0);
    int v = (int) logits.getShape().get(1);
    double[] flat = logits.toType(DataType.FLOAT64, false).toDoubleArray();
    double[][] r = new double[b][];
    for (int i = 0; i < b; i++) {
      r[i] = Arrays.copyOfRange(flat, i * v, (i + 1) * v);
    }
    return r;
  }
}
