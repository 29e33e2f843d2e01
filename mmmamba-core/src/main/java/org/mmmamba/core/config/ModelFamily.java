package org.mmmamba.core.config;

/** Checkpoint families we read and write; each has a weight-name table in {@code io.WeightMaps}. */
public enum ModelFamily {
  /** HF {@code LlamaForCausalLM}: separate q/k/v/o, optional attention bias. */
  LLAMA,
  /** HF {@code Qwen2ForCausalLM}: Llama layout with q/k/v biases. */
  QWEN2,
  /** InternLM2 (HoVLE's LLM): packed {@code wqkv}, {@code wo}, {@code w1/w2/w3}. */
  INTERNLM2,
  /** HF {@code Mamba2ForCausalLM}: pure Mamba-2 LM, no MLPs. */
  MAMBA2,
  /**
   * mmMamba students: InternLM2 names for kept attention layers, packed {@code wvkqgdt} for Mamba-2
   * layers.
   */
  MMMAMBA
}
