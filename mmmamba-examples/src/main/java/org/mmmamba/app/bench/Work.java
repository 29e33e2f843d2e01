package org.mmmamba.app.bench;

import java.util.Map;
import org.mmmamba.core.config.DecoderConfig;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.config.Mamba2Config;
import org.mmmamba.core.config.ParamNames;
import org.mmmamba.core.model.RandomWeights;

/**
 * The work a model must do, for the floors: bytes one decode step must move through memory and
 * FLOPs a prefill must compute. Shape glossary: D hidden, H heads, G kv heads, P head dim, N state
 * dim, F SwiGLU width, V vocab, L length, Q SSD chunk, e bytes per element.
 */
public final class Work {
  private Work() {}

  /**
   * Parameter bytes one decode step reads: every weight once, except the embedding table, of which
   * only the token's row (D elements) is read — unless the LM head is tied to it, then all of it.
   */
  public static long weightBytesPerStep(DecoderConfig c, int e) {
    long n = 0;
    for (Map.Entry<String, long[]> t : RandomWeights.canonicalShapes(c).entrySet()) {
      long size = 1;
      for (long s : t.getValue()) {
        size *= s;
      }
      if (t.getKey().equals(ParamNames.EMBED) && !c.tieWordEmbeddings()) {
        size = c.hiddenSize();
      }
      n += size;
    }
    return n * e;
  }

  /** Bytes of all parameters (what the model holds). */
  public static long weightBytes(DecoderConfig c, int e) {
    long n = 0;
    for (long[] shape : RandomWeights.canonicalShapes(c).values()) {
      long size = 1;
      for (long s : shape) {
        size *= s;
      }
      n += size;
    }
    return n * e;
  }

  /**
   * Bytes one decode step at {@code context} cached tokens must move: the weights, plus per
   * attention layer the keys and values of context+1 tokens (2·G·(context+1)·P·e, read), plus per
   * Mamba-2 layer the SSM state H·P·N and the conv state (K-1)·C_conv, each read and written.
   */
  public static long decodeBytes(DecoderConfig c, long context, int e) {
    long bytes = weightBytesPerStep(c, e);
    for (int i = 0; i < c.numLayers(); i++) {
      if (c.kind(i) == LayerKind.ATTENTION) {
        bytes += 2L * c.numKvHeads() * (context + 1) * c.headDim() * e;
      } else {
        Mamba2Config m = c.mamba();
        long state =
            (long) m.numHeads() * m.headDim() * m.stateDim()
                + (long) (m.convKernel() - 1) * m.convChannels();
        bytes += 2L * state * e;
      }
    }
    return bytes;
  }

  /**
   * FLOPs of a prefill of L tokens with last-token logits: 2·L·(projection and MLP weights) per
   * layer; exact causal attention 4·H·P·L(L+1)/2 (QKᵀ and AV over the L(L+1)/2 visible pairs); the
   * chunked SSD scan 2·Q·(N+P) + 4·P·N per token and head (C·Bᵀ and its product with X inside
   * chunks, chunk states, and the off-diagonal read-out, Q = min(chunk, L)); and the LM head 2·D·V
   * once.
   */
  public static double prefillFlops(DecoderConfig c, long len) {
    double d = c.hiddenSize();
    double flops = 2 * d * c.vocabSize();
    for (int i = 0; i < c.numLayers(); i++) {
      double weights = c.hasMlp() ? 3 * d * c.intermediateSize() : 0;
      if (c.kind(i) == LayerKind.ATTENTION) {
        double hp = (double) c.numHeads() * c.headDim();
        double gp = (double) c.numKvHeads() * c.headDim();
        weights += d * (hp + 2 * gp) + hp * d;
        double pairs = len * (len + 1) / 2.0;
        flops += 4.0 * c.numHeads() * c.headDim() * pairs;
      } else {
        Mamba2Config m = c.mamba();
        weights +=
            d * (m.xChannels() + m.bChannels() + m.cChannels() + m.innerDim() + m.numHeads())
                + (double) m.innerDim() * d;
        double q = Math.min(m.chunkSize(), len);
        double perTokenHead =
            2 * q * (m.stateDim() + m.headDim()) + 4.0 * m.headDim() * m.stateDim();
        flops += perTokenHead * m.numHeads() * len;
      }
      flops += 2 * weights * len;
    }
    return flops;
  }

  /**
   * Matmul FLOPs of one training step of {@code phase} on {@code batch} samples of {@code len}
   * tokens, counting forward as {@link #prefillFlops} with the LM head over every position, and a
   * backward pass as twice its forward (input and weight gradients):
   *
   * <ul>
   *   <li>stage 3: teacher forward + student forward and backward = F_t + 3 F_s;
   *   <li>stages 1-2: the teacher's layers forward (no LM head) + the student's mixers forward and
   *       backward = T_layers + 3 M_s, where M_s leaves out the MLPs (the mixers alone run).
   * </ul>
   */
  public static double trainStepFlops(
      DecoderConfig teacher, DecoderConfig student, Phase phase, long len, long batch) {
    double head = 2.0 * teacher.hiddenSize() * teacher.vocabSize();
    double ft = prefillFlops(teacher, len) - head;
    double fs = prefillFlops(student, len) - head;
    if (phase == Phase.STAGE3) {
      return batch * (ft + head * len + 3 * (fs + head * len));
    }
    double mlp =
        student.hasMlp()
            ? 2.0
                * 3
                * student.hiddenSize()
                * student.intermediateSize()
                * len
                * student.numLayers()
            : 0;
    return batch * (ft + 3 * (fs - mlp));
  }
}
