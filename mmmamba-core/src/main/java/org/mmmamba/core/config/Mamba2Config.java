package org.mmmamba.core.config;

import org.mmmamba.core.BadInputException;

/**
 * Dimensions and switches of a Mamba-2 mixer. One record covers both mixers we run:
 *
 * <ul>
 *   <li>mmMamba ({@link #mmMamba}): x = W_V u and B = W_K u have G (= kv heads) groups, C = W_Q u
 *       has H; conv kernel 2 over [x|B|C]; no D; per-head RMSNorm (weight of size P shared by
 *       heads) applied <em>before</em> the SiLU gate; d_state N = head dim P.
 *   <li>HF {@code Mamba2ForCausalLM} ({@link #hfMamba2}): x has H heads, B and C have {@code
 *       n_groups}; D skip; gate applied before a group-wise RMSNorm with a weight over all H*P
 *       channels.
 * </ul>
 *
 * <p>Shape glossary: H heads, P head dim, N state dim, I = H*P inner width.
 *
 * @param numHeads H
 * @param headDim P
 * @param stateDim N
 * @param xGroups distinct x heads before expansion to H (H must be a multiple)
 * @param bGroups groups of B (H must be a multiple)
 * @param cGroups groups of C (H must be a multiple)
 * @param convKernel causal depthwise conv width over [x|B|C] (1 = no mixing over time)
 * @param convBias conv has a bias
 * @param chunkSize SSD chunk length Q for training and prefill
 * @param useD add the D skip term D_h * x_t
 * @param normBeforeGate mmMamba: rmsnorm(y) * silu(g); HF Mamba2: rmsnorm(y * silu(g))
 * @param normGroupSize channels per RMS group (P for mmMamba, I / n_groups for HF Mamba2)
 * @param normWeightShared the norm weight has normGroupSize entries shared by all groups (mmMamba)
 * @param normEps RMSNorm epsilon
 * @param projBias input/output projections have biases (HF {@code use_bias})
 * @param dtMin lower clamp of dt after softplus (0 = none)
 * @param dtMax upper clamp of dt after softplus (+inf = none)
 */
public record Mamba2Config(
    int numHeads,
    int headDim,
    int stateDim,
    int xGroups,
    int bGroups,
    int cGroups,
    int convKernel,
    boolean convBias,
    int chunkSize,
    boolean useD,
    boolean normBeforeGate,
    int normGroupSize,
    boolean normWeightShared,
    double normEps,
    boolean projBias,
    double dtMin,
    double dtMax) {

  /**
   * The mmMamba mixer for an attention layer with H heads, G kv heads and head dim P
   * (docs/method.md §2).
   */
  public static Mamba2Config mmMamba(
      int numHeads, int numKvHeads, int headDim, int convKernel, int chunkSize) {
    return new Mamba2Config(
        numHeads,
        headDim,
        headDim,
        numKvHeads,
        numKvHeads,
        numHeads,
        convKernel,
        true,
        chunkSize,
        false,
        true,
        headDim,
        true,
        1e-5,
        false,
        0.0,
        Double.POSITIVE_INFINITY);
  }

  /**
   * HF {@code Mamba2ForCausalLM}'s mixer. The gated RMSNorm runs over all I channels at once, as
   * transformers' inference paths do ({@code MambaRMSNormGated} ignores {@code n_groups}; only
   * mamba_ssm's fused training kernel normalises per group).
   */
  public static Mamba2Config hfMamba2(
      int numHeads,
      int headDim,
      int stateDim,
      int nGroups,
      int convKernel,
      boolean convBias,
      int chunkSize,
      double eps,
      boolean projBias,
      double dtMin,
      double dtMax) {
    return new Mamba2Config(
        numHeads,
        headDim,
        stateDim,
        numHeads,
        nGroups,
        nGroups,
        convKernel,
        convBias,
        chunkSize,
        true,
        false,
        numHeads * headDim,
        false,
        eps,
        projBias,
        dtMin,
        dtMax);
  }

  /** I = H * P. */
  public int innerDim() {
    return numHeads * headDim;
  }

  /** Channels of x (before expansion). */
  public int xChannels() {
    return xGroups * headDim;
  }

  /** Channels of B. */
  public int bChannels() {
    return bGroups * stateDim;
  }

  /** Channels of C. */
  public int cChannels() {
    return cGroups * stateDim;
  }

  /** Channels the causal conv runs over: [x | B | C]. */
  public int convChannels() {
    return xChannels() + bChannels() + cChannels();
  }

  /** Entries of the gated-norm weight. */
  public int normWeightSize() {
    return normWeightShared ? normGroupSize : innerDim();
  }

  /** Same config with another chunk size. */
  public Mamba2Config withChunkSize(int q) {
    return new Mamba2Config(
        numHeads,
        headDim,
        stateDim,
        xGroups,
        bGroups,
        cGroups,
        convKernel,
        convBias,
        q,
        useD,
        normBeforeGate,
        normGroupSize,
        normWeightShared,
        normEps,
        projBias,
        dtMin,
        dtMax);
  }

  /** Same config with another conv kernel. */
  public Mamba2Config withConvKernel(int k) {
    return new Mamba2Config(
        numHeads,
        headDim,
        stateDim,
        xGroups,
        bGroups,
        cGroups,
        k,
        convBias,
        chunkSize,
        useD,
        normBeforeGate,
        normGroupSize,
        normWeightShared,
        normEps,
        projBias,
        dtMin,
        dtMax);
  }

  /** Same config with the D skip switched. */
  public Mamba2Config withD(boolean d) {
    return new Mamba2Config(
        numHeads,
        headDim,
        stateDim,
        xGroups,
        bGroups,
        cGroups,
        convKernel,
        convBias,
        chunkSize,
        d,
        normBeforeGate,
        normGroupSize,
        normWeightShared,
        normEps,
        projBias,
        dtMin,
        dtMax);
  }

  /** Checks every field; the message names the field and {@code where}. */
  public Mamba2Config validate(String where) {
    positive(where, "num_heads", numHeads);
    positive(where, "head_dim", headDim);
    positive(where, "state_size", stateDim);
    positive(where, "x groups", xGroups);
    positive(where, "n_groups (B)", bGroups);
    positive(where, "n_groups (C)", cGroups);
    positive(where, "conv_kernel", convKernel);
    positive(where, "chunk_size", chunkSize);
    positive(where, "norm group size", normGroupSize);
    for (int g : new int[] {xGroups, bGroups, cGroups}) {
      if (numHeads % g != 0) {
        throw new BadInputException(
            where + ": num_heads " + numHeads + " is not a multiple of group count " + g);
      }
    }
    if (innerDim() % normGroupSize != 0) {
      throw new BadInputException(
          where
              + ": inner dim "
              + innerDim()
              + " is not a multiple of norm group "
              + normGroupSize);
    }
    if (!(normEps > 0)) {
      throw new BadInputException(where + ": norm eps must be > 0");
    }
    if (!(dtMin >= 0) || !(dtMax > dtMin)) {
      throw new BadInputException(
          where + ": time_step_limit must satisfy 0 <= min < max, got " + dtMin + ", " + dtMax);
    }
    return this;
  }

  private static void positive(String where, String key, int v) {
    if (v <= 0) {
      throw new BadInputException(where + ": " + key + " must be > 0, got " + v);
    }
  }
}
