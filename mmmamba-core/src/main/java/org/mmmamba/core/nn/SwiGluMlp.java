package org.mmmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;

/**
 * The SwiGLU feed-forward block of Llama/InternLM2: {@code W_down (SiLU(W_gate x) * W_up x)}.
 *
 * <p>Weights in HF {@code nn.Linear} layout (out, in): W_gate, W_up (F, D); W_down (D, F).
 */
public final class SwiGluMlp {
  private final NDArray wGate;
  private final NDArray wUp;
  private final NDArray wDown;

  /** Wraps the three weight matrices (not copied). */
  public SwiGluMlp(NDArray wGate, NDArray wUp, NDArray wDown) {
    this.wGate = wGate;
    this.wUp = wUp;
    this.wDown = wDown;
  }

  /** x (B, L, D) -> (B, L, D). */
  public NDArray forward(NDArray x) {
    // The (B, L, F) gate, its SiLU and the up projection are freed before W_down runs.
    NDArray h =
        Scopes.keepOnly(
            () ->
                Activations.silu(Linear.linear(x, wGate).singletonOrThrow())
                    .mul(Linear.linear(x, wUp).singletonOrThrow()));
    return Linear.linear(h, wDown).singletonOrThrow();
  }
}
