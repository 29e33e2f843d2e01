package org.mmmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv1d;

/**
 * Depthwise causal 1-D convolution over time, kernel K, per channel: {@code out_t = bias +
 * sum_{j<K} w[:, j] * in_{t-K+1+j}} (so w[:, K-1] multiplies the current token; this is PyTorch's
 * {@code Conv1d(groups=C, padding=K-1)} truncated to the first L outputs, the HF/mamba_ssm layout).
 *
 * <p>Shapes: in (B, L, C), w (C, K), bias (C) or null, prefix (B, K-1, C) = the previous K-1 raw
 * inputs (zeros at the start of a sequence).
 */
public final class CausalConv1d {
  private CausalConv1d() {}

  /**
   * Applies the convolution.
   *
   * @return (B, L, C)
   */
  public static NDArray apply(NDArray in, NDArray w, NDArray bias, NDArray prefix) {
    int k = (int) w.getShape().get(1);
    if (k == 1 || (in.getDataType() == DataType.FLOAT16 && !in.getDevice().isGpu())) {
      return taps(in, w, bias, prefix); // no float16 depthwise convolution on the CPU
    }
    // One grouped convolution (groups = C, as mamba_ssm's nn.Conv1d) over the padded input in
    // (B, C, K-1+L) layout: 4 ops and one kernel, where the taps below take 3K+1 ops.
    long c = w.getShape().get(0);
    NDArray padded = withPrefix(in, prefix, k).transpose(0, 2, 1);
    NDArray out =
        Conv1d.conv1d(
                padded, w.reshape(c, 1, k), bias, new Shape(1), new Shape(0), new Shape(1), (int) c)
            .singletonOrThrow();
    return out.transpose(0, 2, 1);
  }

  /**
   * The K taps as shifted slices, multiplied and summed (the fast path before the grouped
   * convolution, still used for float16 on the CPU): (B, L, C).
   */
  public static NDArray taps(NDArray in, NDArray w, NDArray bias, NDArray prefix) {
    int k = (int) w.getShape().get(1);
    Shape s = in.getShape();
    long l = s.get(1);
    NDArray padded = withPrefix(in, prefix, k);
    NDArray out = null;
    for (int j = 0; j < k; j++) {
      NDArray tap = padded.get(":, {}:{}, :", j, j + l).mul(w.get(":, {}", j));
      out = out == null ? tap : out.add(tap);
    }
    return bias == null ? out : out.add(bias);
  }

  /** (B, K-1+L, C): the prefix (or zeros) followed by the input. */
  public static NDArray withPrefix(NDArray in, NDArray prefix, int k) {
    if (k == 1) {
      return in;
    }
    Shape s = in.getShape();
    NDArray pre =
        prefix != null
            ? prefix
            : in.getManager().zeros(new Shape(s.get(0), k - 1, s.get(2)), in.getDataType());
    return pre.concat(in, 1);
  }

  /**
   * The last K-1 raw inputs of (prefix ++ in): the conv state to carry to the next call. (B, K-1,
   * C). When L = K-1 (a decode token with K = 2) that is {@code in} itself, returned as it is (no
   * slice op); callers that keep it copy it ({@link MambaCache#update}).
   */
  public static NDArray nextPrefix(NDArray in, NDArray prefix, int k) {
    long l = in.getShape().get(1);
    if (k > 1 && l == k - 1) {
      return in;
    }
    if (k > 1 && l >= k - 1) {
      return in.get(
          ":, {}:, :", l - (k - 1)); // all from the input: no need to build prefix ++ input
    }
    NDArray padded = withPrefix(in, prefix, k);
    long total = padded.getShape().get(1);
    return padded.get(":, {}:, :", total - (k - 1));
  }

  /** Slow twin: an explicit loop over time and taps (test sizes). */
  public static NDArray reference(NDArray in, NDArray w, NDArray bias, NDArray prefix) {
    int k = (int) w.getShape().get(1);
    long l = in.getShape().get(1);
    NDArray padded = withPrefix(in, prefix, k);
    ai.djl.ndarray.NDList steps = new ai.djl.ndarray.NDList();
    for (long t = 0; t < l; t++) {
      NDArray acc =
          bias == null
              ? in.getManager()
                  .zeros(new Shape(in.getShape().get(0), in.getShape().get(2)), in.getDataType())
              : bias.broadcast(in.getShape().get(0), in.getShape().get(2));
      for (int j = 0; j < k; j++) {
        acc = acc.add(padded.get(":, {}, :", t + j).mul(w.get(":, {}", j)));
      }
      steps.add(acc);
    }
    return ai.djl.ndarray.NDArrays.stack(steps, 1);
  }
}
