package org.mmmamba.core.model;

import ai.djl.ndarray.NDArray;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.nn.LayerCache;
import org.mmmamba.core.nn.Mixer;
import org.mmmamba.core.nn.RmsNorm;
import org.mmmamba.core.nn.SwiGluMlp;

/**
 * A pre-norm decoder layer: {@code h = x + Mixer(RMSNorm(x)); out = h + MLP(RMSNorm(h))} (the MLP
 * half is absent in pure Mamba-2 LMs).
 */
public final class DecoderLayer {
  private final LayerKind kind;
  private final NDArray mixerNorm;
  private final Mixer mixer;
  private final NDArray mlpNorm;
  private final SwiGluMlp mlp;
  private final double eps;

  /** {@code mlpNorm} and {@code mlp} are null for layers without an MLP. */
  public DecoderLayer(
      LayerKind kind, NDArray mixerNorm, Mixer mixer, NDArray mlpNorm, SwiGluMlp mlp, double eps) {
    this.kind = kind;
    this.mixerNorm = mixerNorm;
    this.mixer = mixer;
    this.mlpNorm = mlpNorm;
    this.mlp = mlp;
    this.eps = eps;
  }

  /** Attention or Mamba-2. */
  public LayerKind kind() {
    return kind;
  }

  /** The token mixer. */
  public Mixer mixer() {
    return mixer;
  }

  /** x (B, L, D) -> (B, L, D); {@code cache} may be null. */
  public NDArray forward(NDArray x, LayerCache cache) {
    return finish(x, mixer.forward(mixerInput(x), cache));
  }

  /** The normalised mixer input u = RMSNorm(x). */
  public NDArray mixerInput(NDArray x) {
    return RmsNorm.apply(x, mixerNorm, eps);
  }

  /** The rest of the layer given the mixer's output (after W_O): residual, then the MLP half. */
  public NDArray finish(NDArray x, NDArray mixed) {
    NDArray h = x.add(mixed);
    if (mlp == null) {
      return h;
    }
    return h.add(mlp.forward(RmsNorm.apply(h, mlpNorm, eps)));
  }
}
