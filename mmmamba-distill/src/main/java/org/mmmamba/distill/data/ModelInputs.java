package org.mmmamba.distill.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Turns a host-side {@link Batch} into the arrays the models take. */
public final class ModelInputs {
  private ModelInputs() {}

  /** Token ids (B, L) int64. */
  public static NDArray ids(NDManager m, Batch b) {
    return m.create(b.inputIds(), new Shape(b.batchSize(), b.seqLen()));
  }

  /**
   * Per-sample tiles (T_i, 3, S, S) in {@code dt}, or null entries for samples without an image.
   */
  public static List<NDArray> pixels(NDManager m, Batch b, DataType dt) {
    List<NDArray> out = new ArrayList<>(b.batchSize());
    int s = b.tileSize();
    int per = 3 * s * s;
    int offset = 0;
    for (int i = 0; i < b.batchSize(); i++) {
      int t = b.tilesPerSample()[i];
      if (t == 0) {
        out.add(null);
        continue;
      }
      float[] part = Arrays.copyOfRange(b.pixelValues(), offset * per, (offset + t) * per);
      out.add(m.create(part, new Shape(t, 3, s, s)).toType(dt, false));
      offset += t;
    }
    return out;
  }

  /** A (B, L) mask in {@code dt}: 1 where {@code mask} is true. */
  public static NDArray mask(NDManager m, boolean[] mask, int b, int l, DataType dt) {
    float[] f = new float[mask.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = mask[i] ? 1f : 0f;
    }
    return m.create(f, new Shape(b, l)).toType(dt, false);
  }

  /**
   * The positions whose next-token prediction is an answer token: (B, L) with 1 at t when label t+1
   * is an answer token (the label mask shifted left by one).
   */
  public static NDArray answerPredictionMask(NDManager m, Batch b, DataType dt) {
    int l = b.seqLen();
    boolean[] shifted = new boolean[b.labelMask().length];
    for (int i = 0; i < b.batchSize(); i++) {
      for (int t = 0; t + 1 < l; t++) {
        shifted[i * l + t] = b.labelMask()[i * l + t + 1];
      }
    }
    return mask(m, shifted, b.batchSize(), l, dt);
  }

  /**
   * 1 at t when both position t and t+1 are real (non-padding) tokens: where a next-token loss
   * applies.
   */
  public static NDArray nextTokenMask(NDManager m, Batch b, DataType dt) {
    int l = b.seqLen();
    boolean[] mk = new boolean[b.attentionMask().length];
    for (int i = 0; i < b.batchSize(); i++) {
      for (int t = 0; t + 1 < l; t++) {
        mk[i * l + t] = b.attentionMask()[i * l + t + 1];
      }
    }
    return mask(m, mk, b.batchSize(), l, dt);
  }

  /**
   * Next-token targets (B, L): ids shifted left by one. The last column wraps to the first token;
   * every mask here is 0 there, so it never counts.
   */
  public static NDArray nextIds(NDArray ids) {
    return ids.get(":, 1:").concat(ids.get(":, :1"), 1);
  }
}
