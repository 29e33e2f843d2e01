package org.mmmamba.app.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.Mamba2Config;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.ModelCache;
import org.mmmamba.core.nn.KvCache;
import org.mmmamba.core.nn.LayerCache;
import org.mmmamba.core.nn.MambaCache;
import org.mmmamba.distill.metrics.OpProfile;

/**
 * Measures one point (model × phase × length) on a built model. Every timed unit ends with a host
 * read of the greedy token, so the time covers the whole step. Each decode step / prefill /
 * generation runs inside an {@link NDScope} so nothing but the caches outlives it.
 */
final class Points {
  /**
   * Tokens per synthetic KV chunk: the context is filled chunk by chunk to keep temporaries small.
   */
  static final int FILL_CHUNK = 4096;

  /** Context length of the JIT warm-up caches (rebuilt when full). */
  static final int JIT_WARMUP_CONTEXT = 256;

  private Points() {}

  /** Runs the point; the result has no floor yet. */
  static BenchResult run(
      BenchConfig c, BenchModel which, Phase phase, int length, DecoderModel model, NDManager m) {
    Engine.getInstance().setRandomSeed((int) (c.seed() * 31 + length));
    switch (phase) {
      case DECODE:
        return decode(c, which, length, model, m);
      case PREFILL:
        return prefill(c, which, length, model, m);
      case TABLE2:
        return table2(c, which, model, m);
      default:
        throw new IllegalArgumentException(phase.id());
    }
  }

  /** Greedy next-token latency with a synthetic context of {@code context} tokens. */
  static BenchResult decode(
      BenchConfig c, BenchModel which, int context, DecoderModel model, NDManager m) {
    int warmup = c.decode().warmup();
    int repeats = c.decode().repeats();
    double[] ms = new double[repeats];
    SplittableRandom rng = new SplittableRandom(c.seed() + context);
    long token = rng.nextInt(model.config().vocabSize());
    long cacheBytes;
    BenchResult.MemoryWindow.Start w = BenchResult.MemoryWindow.start(m.getDevice());
    // Inside the memory window on purpose: run before it, the warm-up plus the window's System.gc()
    // left the
    // baseline ~0.15 GiB higher (measured: 0.64-0.68 against 0.48-0.56 GiB), while run inside it
    // adds ~0.02 GiB.
    warmJit(c.decode().warmupSeconds(), model, token, m);
    // Capacity for the context plus every step, so no KV buffer is regrown while timing.
    try (ModelCache cache = model.newCache(m, 1, context + warmup + repeats + 1)) {
      fill(cache, model, context, m);
      for (int s = 0; s < warmup + repeats; s++) {
        long t0 = System.nanoTime();
        token = step(model, cache, token, m);
        double dt = (System.nanoTime() - t0) / 1e6;
        if (s >= warmup) {
          ms[s - warmup] = dt;
        }
      }
      cacheBytes = cache.bytes();
      profileDecode(which, context, model, cache, token, m);
    }
    BenchResult.MemoryWindow mem = w.end();
    Stats t = Stats.of(ms);
    return BenchResult.measured(
        which,
        Phase.DECODE,
        context,
        t,
        mem,
        cacheBytes,
        weightBytes(model),
        1e3 / t.median(),
        null,
        null,
        null,
        java.util.Arrays.stream(ms).boxed().toList());
  }

  /**
   * With {@code MMMAMBA_PROFILE_DECODE=DIR}: one more decode step after the timed ones, recorded
   * with libtorch's profiler ({@link OpProfile#record}), summary in {@code
   * DIR/decode-<model>-<dtype>-<context>.summary.json}: the op count per token that binds decode
   * (docs/benchmarks.md#decode-ops). Not part of the timed steps.
   */
  static void profileDecode(
      BenchModel which,
      int context,
      DecoderModel model,
      ModelCache cache,
      long token,
      NDManager m) {
    String dir = System.getenv("MMMAMBA_PROFILE_DECODE");
    if (dir == null || dir.isBlank()) {
      return;
    }
    String name =
        "decode-"
            + which.id()
            + "-"
            + model.dtype().name().toLowerCase(java.util.Locale.ROOT)
            + "-"
            + context;
    try {
      OpProfile.record(java.nio.file.Path.of(dir), name, () -> step(model, cache, token, m));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("MMMAMBA_PROFILE_DECODE: " + dir, e);
    }
  }

  /**
   * Greedy steps on a short, fresh context for {@code seconds}, before the measured context is
   * built: the JIT compiles DJL's Java side of the step only after a few hundred calls, and until
   * then a step is about 1.5x slower whatever the context. The native work does not need warming,
   * so a short context does this cheaply.
   */
  static void warmJit(double seconds, DecoderModel model, long token, NDManager m) {
    long end = System.nanoTime() + (long) (seconds * 1e9);
    while (System.nanoTime() < end) {
      try (ModelCache cache = model.newCache(m, 1, JIT_WARMUP_CONTEXT)) {
        for (int s = 0; s < JIT_WARMUP_CONTEXT && System.nanoTime() < end; s++) {
          token = step(model, cache, token, m);
        }
      }
    }
  }

  /**
   * Prompt processing: a fresh cache, all prompt tokens at once, last-token logits and the greedy
   * token.
   */
  static BenchResult prefill(
      BenchConfig c, BenchModel which, int len, DecoderModel model, NDManager m) {
    int warmup = c.prefill().warmup();
    int repeats = c.prefill().repeats();
    long[] ids = randomIds(new SplittableRandom(c.seed() + len), len, model.config().vocabSize());
    double[] ms = new double[repeats];
    long cacheBytes = 0;
    BenchResult.MemoryWindow.Start w = BenchResult.MemoryWindow.start(m.getDevice());
    for (int r = 0; r < warmup + repeats; r++) {
      long t0 = System.nanoTime();
      try (ModelCache cache = model.newCache(m, 1, len);
          NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray idArr = m.create(ids, new Shape(1, len));
        greedy(model, prefillHidden(model, model.embed(idArr), cache));
        cacheBytes = cache.bytes();
      }
      double dt = (System.nanoTime() - t0) / 1e6;
      if (r >= warmup) {
        ms[r - warmup] = dt;
      }
    }
    BenchResult.MemoryWindow mem = w.end();
    return BenchResult.measured(
        which,
        Phase.PREFILL,
        len,
        Stats.of(ms),
        mem,
        cacheBytes,
        weightBytes(model),
        null,
        null,
        null,
        null);
  }

  /**
   * Table 2 (docs/method.md §5): a prompt of {@code image_tokens} synthetic image-token embeddings
   * (random, at the embedding table's scale) followed by {@code text_tokens} text tokens, then
   * {@code new_tokens} greedy tokens (the first from the prefill's logits). Total time = prefill +
   * decode.
   */
  static BenchResult table2(BenchConfig c, BenchModel which, DecoderModel model, NDManager m) {
    BenchConfig.Table2 t2 = c.table2();
    int d = model.config().hiddenSize();
    int prompt = t2.promptLength();
    long[] text =
        randomIds(new SplittableRandom(c.seed() + 2), t2.textTokens(), model.config().vocabSize());
    double[] total = new double[t2.repeats()];
    double[] pre = new double[t2.repeats()];
    double[] dec = new double[t2.repeats()];
    long cacheBytes = 0;
    BenchResult.MemoryWindow.Start w = BenchResult.MemoryWindow.start(m.getDevice());
    try (NDManager inputs = m.newSubManager()) {
      // The image embeddings come from the vision side: made once, outside the timed region.
      NDArray image =
          t2.imageTokens() == 0
              ? null
              : inputs
                  .randomNormal(0, 0.02f, new Shape(1, t2.imageTokens(), d), DataType.FLOAT32)
                  .toType(model.dtype(), false);
      for (int r = 0; r < t2.warmup() + t2.repeats(); r++) {
        long t0 = System.nanoTime();
        long t1;
        try (ModelCache cache = model.newCache(m, 1, prompt + t2.newTokens())) {
          long token;
          try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray emb = image;
            if (text.length > 0) {
              NDArray textEmb = model.embed(m.create(text, new Shape(1, text.length)));
              emb = emb == null ? textEmb : emb.concat(textEmb, 1);
            }
            token = greedy(model, prefillHidden(model, emb, cache));
          }
          t1 = System.nanoTime();
          for (int i = 1; i < t2.newTokens(); i++) {
            token = step(model, cache, token, m);
          }
          cacheBytes = cache.bytes();
        }
        long t2n = System.nanoTime();
        if (r >= t2.warmup()) {
          int k = r - t2.warmup();
          total[k] = (t2n - t0) / 1e6;
          pre[k] = (t1 - t0) / 1e6;
          dec[k] = (t2n - t1) / 1e6;
        }
      }
    }
    BenchResult.MemoryWindow mem = w.end();
    Stats t = Stats.of(total);
    return BenchResult.measured(
        which,
        Phase.TABLE2,
        prompt,
        t,
        mem,
        cacheBytes,
        weightBytes(model),
        t2.newTokens() / (t.median() / 1e3),
        Stats.of(pre).median(),
        Stats.of(dec).median(),
        t2.newTokens());
  }

  /**
   * One greedy decode step: embed the token, run every layer on the cache, LM head, argmax to the
   * host.
   */
  static long step(DecoderModel model, ModelCache cache, long token, NDManager m) {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray ids = m.create(new long[] {token}, new Shape(1, 1));
      return greedy(model, model.hidden(model.embed(ids), cache));
    }
  }

  /**
   * {@link DecoderModel#hidden} for a prompt, with one {@link NDScope} per layer: each layer's
   * intermediates are freed before the next layer runs, and only the layer outputs are handed on.
   * {@code hidden()} itself keeps every layer's intermediates until the caller's scope closes
   * (about 0.1 GB per layer at 1K tokens, several GB per attention layer at 8K), which would make
   * the prefill memory figures measure that instead. Same layer calls in the same order, so the
   * result is identical (BenchPrefillTwinTest).
   *
   * @param embeds (B, L, D) prompt embeddings (not closed)
   * @return (B, L, D) final-normed hidden states, registered in the caller's scope
   */
  static NDArray prefillHidden(DecoderModel model, NDArray embeds, ModelCache cache) {
    NDArray x = embeds;
    for (int i = 0; i < model.layers().size(); i++) {
      NDArray next;
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        next = model.layers().get(i).forward(x, cache == null ? null : cache.layer(i));
        NDScope.unregister(next);
      }
      if (x != embeds) {
        x.close();
      }
      x = next;
    }
    if (cache != null) {
      cache.advance((int) embeds.getShape().get(1));
    }
    NDArray h = model.finalNorm(x);
    if (x != embeds) {
      x.close();
    }
    return h;
  }

  private static long greedy(DecoderModel model, NDArray hidden) {
    return model.lastLogits(hidden).argMax(-1).toLongArray()[0];
  }

  /**
   * Puts a synthetic context of {@code context} tokens into a fresh cache: attention layers get
   * random keys and values (N(0, 1), appended in chunks of {@link #FILL_CHUNK} fresh random tokens
   * so temporaries stay small); Mamba-2 layers get a random SSM state (N(0, 0.1²)) and conv state
   * (N(0, 1)), as if the context had been folded into them.
   */
  static void fill(ModelCache cache, DecoderModel model, int context, NDManager m) {
    DecoderConfig c = model.config();
    DataType dt = model.dtype();
    for (int i = 0; i < c.numLayers(); i++) {
      LayerCache lc = cache.layer(i);
      try (NDManager tmp = m.newSubManager();
          NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        if (lc instanceof KvCache kv) {
          for (int s = 0; s < context; s += FILL_CHUNK) {
            int n = Math.min(FILL_CHUNK, context - s);
            Shape shape = new Shape(1, c.numKvHeads(), n, c.headDim());
            NDArray k = tmp.randomNormal(shape).toType(dt, false);
            NDArray v = tmp.randomNormal(shape).toType(dt, false);
            for (NDArray view : kv.append(k, v)) {
              view.close();
            }
            k.close();
            v.close();
          }
        } else if (lc instanceof MambaCache mc) {
          Mamba2Config mm = c.mamba();
          NDArray conv =
              mm.convKernel() > 1
                  ? tmp.randomNormal(new Shape(1, mm.convKernel() - 1, mm.convChannels()))
                      .toType(dt, false)
                  : null;
          NDArray ssm =
              tmp.randomNormal(
                      0,
                      0.1f,
                      new Shape(1, mm.numHeads(), mm.headDim(), mm.stateDim()),
                      DataType.FLOAT32)
                  .toType(dt, false);
          mc.update(conv, ssm);
        }
      }
    }
    cache.advance(context);
  }

  static long weightBytes(DecoderModel model) {
    return model.weights().numel() * model.dtype().getNumOfBytes();
  }

  static long[] randomIds(SplittableRandom rng, int n, int vocab) {
    long[] ids = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = rng.nextInt(vocab);
    }
    return ids;
  }
}
