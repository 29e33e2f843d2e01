package org.mmmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import org.mmmamba.core.config.Mamba2Config;
import org.mmmamba.core.ssd.ScanResult;
import org.mmmamba.core.ssd.Ssd;

/**
 * The Mamba-2 mixer (docs/method.md §2.3), in the paper's names.
 *
 * <pre>
 *   x = W_x u, B = W_B u, C = W_C u          (mmMamba: W_x = W_V, W_B = W_K, W_C = W_Q, inherited)
 *   [x|B|C] = SiLU(causal_conv([x|B|C]))      depthwise, kernel K
 *   dt = softplus(W_dt u + dt_bias)           per head, optionally clamped
 *   A = -exp(A_log)                           per head scalar
 *   S_t = exp(dt_t A) S_{t-1} + dt_t x_t B_t^T,  y_t = S_t C_t (+ D x_t)
 *   out = W_O gatedRmsNorm(y, W_G u)
 * </pre>
 *
 * <p>Shapes: u (B, L, D); W_x (G_x*P, D); W_B (G_B*N, D); W_C (G_C*N, D); W_G (I, D); W_dt (H, D);
 * conv weight (C_conv, K); dt_bias, A_log, D (H); W_O (D, I). x, B, C are expanded from their
 * groups to the H heads so that head h uses group h / (H / G), like {@code repeat_kv} / {@code
 * repeat_interleave}. Training and prefill use the chunked SSD scan; one-token decode uses the
 * recurrent step on a {@link MambaCache}.
 */
public final class Mamba2Mixer implements Mixer {
  /**
   * Parameter tensors of one mixer (canonical roles). Null entries are absent (e.g. no D, no conv
   * bias).
   */
  public record Params(
      NDArray wX,
      NDArray wB,
      NDArray wC,
      NDArray wG,
      NDArray wDt,
      NDArray convWeight,
      NDArray convBias,
      NDArray dtBias,
      NDArray aLog,
      NDArray d,
      NDArray normWeight,
      NDArray wO) {}

  private final Mamba2Config cfg;
  private final Params p;

  /** Wraps parameter tensors (not copied). */
  public Mamba2Mixer(Mamba2Config cfg, Params p) {
    this.cfg = cfg;
    this.p = p;
  }

  /** The mixer's dims. */
  public Mamba2Config config() {
    return cfg;
  }

  /** The parameter tensors. */
  public Params params() {
    return p;
  }

  @Override
  public NDArray forward(NDArray u, LayerCache cache) {
    NDArray o = gatedOutput(u, (MambaCache) cache);
    return Linear.linear(o, p.wO()).singletonOrThrow();
  }

  @Override
  public NDArray mixBeforeOutput(NDArray u) {
    NDArray o = gatedOutput(u, null);
    Shape s = o.getShape();
    return o.reshape(s.get(0), s.get(1), cfg.numHeads(), cfg.headDim());
  }

  @Override
  public NDArray outputProjection(NDArray mix) {
    Shape s = mix.getShape();
    return Linear.linear(mix.reshape(s.get(0), s.get(1), cfg.innerDim()), p.wO())
        .singletonOrThrow();
  }

  /** Everything up to (not including) W_O: (B, L, I). */
  private NDArray gatedOutput(NDArray u, MambaCache cache) {
    Shape s = u.getShape();
    long b = s.get(0);
    long l = s.get(1);
    int h = cfg.numHeads();
    // Temporaries are freed as each step ends (Scopes.keepOnly): at prefill length L every one of
    // them is an
    // (L, channels) tensor, and a layer's worth of them at once made the student's prefill peak
    // above the teacher's.
    NDList proj = project(u, cache);
    NDArray xbc = proj.get(0);
    NDArray g = proj.get(1);
    NDArray r = proj.get(2);
    boolean continuing = cache != null && cache.started();
    if (continuing && l == 1) {
      return decodeStep(xbc, g, r, cache);
    }
    NDArray prefix = continuing ? cache.convState() : null;
    NDArray conv =
        Scopes.keepOnly(
            () -> Activations.silu(CausalConv1d.apply(xbc, p.convWeight(), p.convBias(), prefix)));
    NDArray nextPrefix =
        cache != null && cfg.convKernel() > 1
            ? Scopes.keepOnly(() -> CausalConv1d.nextPrefix(xbc, prefix, cfg.convKernel()))
            : null;
    int xc = cfg.xChannels();
    int bc = cfg.bChannels();
    // One split of the conv output into x | B | C (indexing with ":, :, a:b" costs one slice op per
    // axis, 9 per layer for the three).
    // Mixed precision: x, B and C enter the scan in float32, cast up once here (one op instead of
    // one per operand, and before the group repeats).
    NDArray conv32 = Fp32.up(conv);
    NDList xbcParts = conv32.split(new long[] {xc, xc + bc}, 2);
    NDArray x =
        Scopes.keepOnly(
            () ->
                expand(
                    xbcParts.get(0).reshape(b, l, cfg.xGroups(), cfg.headDim()),
                    h / cfg.xGroups()));
    NDArray bm =
        Scopes.keepOnly(
            () ->
                expand(
                    xbcParts.get(1).reshape(b, l, cfg.bGroups(), cfg.stateDim()),
                    h / cfg.bGroups()));
    NDArray cm =
        Scopes.keepOnly(
            () ->
                expand(
                    xbcParts.get(2).reshape(b, l, cfg.cGroups(), cfg.stateDim()),
                    h / cfg.cGroups()));
    // Mixed precision: dt, A and the SSD scan (state, decay products) in float32; y returns to
    // float16 below.
    NDArray dt = Fp32.up(dt(Fp32.up(r)));
    NDArray a = Fp32.up(p.aLog()).exp().neg();
    ScanResult res =
        Ssd.chunkedScan(
            x, dt, a, bm, cm, cfg.chunkSize(), continuing ? Fp32.up(cache.ssmState()) : null);
    if (cache != null) {
      cache.update(nextPrefix, Fp32.as(res.finalState(), conv));
    }
    NDArray y32 = res.y();
    if (cfg.useD()) {
      // The skip term in float32 too, then one cast down, as in mamba_ssm's kernel: x is float32
      // here, so a float16 D is promoted by the product (no cast op; its gradient returns float16).
      y32 = Scopes.keepOnly(() -> res.y().add(x.mul(p.d().reshape(h, 1))));
    }
    NDArray y = Fp32.as(y32, conv);
    NDArray yFlat = y.reshape(b, l, cfg.innerDim());
    return GatedRmsNorm.apply(
        yFlat, g, p.normWeight(), cfg.normGroupSize(), cfg.normBeforeGate(), cfg.normEps());
  }

  /**
   * One decode token (L = 1, a started cache), everything up to W_O: (B, 1, I). The same arithmetic
   * as the scan path, with the SSD step's operands reshaped straight into the shapes of its
   * products ({@link Ssd#stepInPlaceColumns}: x (B, H, P, 1), B (B, H, 1, N), C (B, H, N, 1), dt
   * (B, H, 1, 1)) and A, D as (H, 1, 1) derived once per cache: about 13 fewer native ops per layer
   * and token than the scan path's layout (docs/benchmarks.md#decode-ops). Decode keeps the cache's
   * dtype (one token: no long decay products to protect); dt is computed in float32 as in the scan
   * path. Twin: the scan path (StudentCacheConsistencyTest, decode against full forwards).
   */
  private NDArray decodeStep(NDArray xbc, NDArray g, NDArray r, MambaCache cache) {
    long b = xbc.getShape().get(0);
    int h = cfg.numHeads();
    int pd = cfg.headDim();
    int n = cfg.stateDim();
    NDArray prefix = cache.convState();
    NDArray conv =
        Scopes.keepOnly(
            () -> Activations.silu(CausalConv1d.apply(xbc, p.convWeight(), p.convBias(), prefix)));
    NDArray nextPrefix =
        cfg.convKernel() > 1 ? CausalConv1d.nextPrefix(xbc, prefix, cfg.convKernel()) : null;
    int xc = cfg.xChannels();
    NDList parts = conv.split(new long[] {xc, xc + cfg.bChannels()}, 2);
    NDArray x = heads(parts.get(0).reshape(b, cfg.xGroups(), pd, 1), h / cfg.xGroups());
    NDArray bm = heads(parts.get(1).reshape(b, cfg.bGroups(), 1, n), h / cfg.bGroups());
    NDArray cm = heads(parts.get(2).reshape(b, cfg.cGroups(), n, 1), h / cfg.cGroups());
    NDArray dt = Fp32.as(dt(Fp32.up(r)), x).reshape(b, h, 1, 1);
    NDArray a =
        cache.derived("A", () -> Fp32.as(Fp32.up(p.aLog()).exp().neg(), x).reshape(h, 1, 1));
    NDArray y = Ssd.stepInPlaceColumns(cache.ssmState(), x, dt, a, bm, cm);
    cache.update(nextPrefix, cache.ssmState());
    if (cfg.useD()) {
      NDArray d = cache.derived("D", () -> Fp32.as(p.d(), x).reshape(h, 1, 1));
      y = y.add(x.mul(d));
    }
    return GatedRmsNorm.apply(
        y.reshape(b, 1, cfg.innerDim()),
        g,
        p.normWeight(),
        cfg.normGroupSize(),
        cfg.normBeforeGate(),
        cfg.normEps());
  }

  /** (B, G, R, S) -> (B, G*rep, R, S), each group repeated rep times in place. */
  private static NDArray heads(NDArray t, int rep) {
    return rep == 1 ? t : t.repeat(1, rep);
  }

  /**
   * The input projections [x|B|C] (B, L, C_conv), W_G u (B, L, I) and W_dt u (B, L, H). While
   * autograd records (training), one GEMM with W_in = [W_x; W_B; W_C; W_G; W_dt] (C_conv + I + H,
   * D), concatenated per forward, and one split: 3 ops and one GEMM forward, one GEMM pair
   * backward, where five projections took 6 ops forward and 10 GEMMs backward. Without autograd
   * (inference, decode) the five projections as they are ({@link #projectEach}, the slow twin): a
   * per-token concatenation would copy every mixer weight.
   */
  NDList project(NDArray u) {
    return project(u, null);
  }

  /**
   * As {@link #project(NDArray)}; with a decode cache and no autograd (generation, the bench), one
   * GEMM with the W_in that the cache concatenated on its first step ({@link
   * MambaCache#inputWeight}): per token 1 GEMM and 1 split instead of 5 GEMMs and a concatenation.
   */
  NDList project(NDArray u, MambaCache cache) {
    boolean recording = Fp32.recording();
    if (!recording && cache == null) {
      return projectEach(u);
    }
    int xbc = cfg.convChannels();
    int inner = (int) p.wG().getShape().get(0);
    return Scopes.keepOnlyList(
        () -> {
          NDArray wIn = recording ? inputWeight() : cache.inputWeight(this::inputWeight);
          return lin(u, wIn).split(new long[] {xbc, xbc + inner}, 2);
        });
  }

  /** W_in = [W_x; W_B; W_C; W_G; W_dt] (C_conv + I + H, D), a new array. */
  private NDArray inputWeight() {
    return NDArrays.concat(new NDList(p.wX(), p.wB(), p.wC(), p.wG(), p.wDt()), 0);
  }

  /** The five projections one by one (the slow twin of {@link #project}). */
  NDList projectEach(NDArray u) {
    NDArray xbc =
        Scopes.keepOnly(
            () -> NDArrays.concat(new NDList(lin(u, p.wX()), lin(u, p.wB()), lin(u, p.wC())), -1));
    return new NDList(xbc, lin(u, p.wG()), lin(u, p.wDt()));
  }

  /** softplus(r + dt_bias), clamped to the configured limits. (B, L, H). */
  private NDArray dt(NDArray r) {
    NDArray z = r.add(Fp32.as(p.dtBias(), r));
    NDArray sp = Activations.softplus(z);
    if (cfg.dtMin() > 0) {
      sp = Scalars.maximum(sp, cfg.dtMin());
    }
    if (!Double.isInfinite(cfg.dtMax())) {
      sp = Scalars.minimum(sp, cfg.dtMax());
    }
    return sp;
  }

  /**
   * (B, L, G, X) -> (B, L, G*rep, X), each group repeated rep times in place (repeat_interleave).
   */
  private static NDArray expand(NDArray t, int rep) {
    return rep == 1 ? t : t.repeat(2, rep);
  }

  private static NDArray lin(NDArray x, NDArray w) {
    return Linear.linear(x, w).singletonOrThrow();
  }

  @Override
  public LayerCache newCache(NDManager m, int batch, int capacity, DataType dt) {
    return new MambaCache(
        m,
        batch,
        cfg.convKernel(),
        cfg.convChannels(),
        cfg.numHeads(),
        cfg.headDim(),
        cfg.stateDim(),
        dt);
  }
}
