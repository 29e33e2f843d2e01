package org.mmmamba.distill.stage;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.mmmamba.core.model.DecoderLayer;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.nn.Scalars;
import org.mmmamba.distill.loss.LayerMse;

/**
 * The teacher-forced, layer-wise loss of stages 1 and 2 (method.md §3). Every converted layer sees the
 * <em>teacher's</em> hidden state at its input; the teacher's output carries the residual stream on, so layers
 * are independent and the student model is never run end to end:
 *
 * <pre>
 *   x_0 = input embeddings
 *   u_l = RMSNorm_l(x_l)
 *   loss += MSE(StudentMixer_l(u_l), Attention_l(u_l))        (before W_O by default)
 *   x_{l+1} = TeacherLayer_l(x_l)
 *   loss = scale * loss / |selected layers|
 * </pre>
 */
public final class LayerwiseLoss {
  private final DecoderModel teacher;
  private final DecoderModel student;
  private final List<Integer> layers;
  private final double scale;
  private final boolean afterWo;

  /**
   * @param teacher the all-attention teacher decoder (frozen)
   * @param student a student whose selected layers are Mamba-2
   * @param layers the layers trained by this process (all, or a shard for multi-process runs)
   * @param scale the loss multiplier (1000 in the reference)
   * @param afterWo compare after the output projection (the paper figure's variant) instead of before
   */
  public LayerwiseLoss(DecoderModel teacher, DecoderModel student, List<Integer> layers, double scale,
      boolean afterWo) {
    this.teacher = teacher;
    this.student = student;
    this.layers = List.copyOf(layers);
    this.scale = scale;
    this.afterWo = afterWo;
  }

  /** The scalar loss for input embeddings (B, L, D) (computed without gradients on the teacher side). */
  public NDArray loss(NDArray embeds) {
    int last = layers.stream().mapToInt(Integer::intValue).max().orElse(-1);
    NDArray x = embeds;
    NDArray total = null;
    for (int l = 0; l <= last; l++) {
      DecoderLayer t = teacher.layers().get(l);
      NDArray u = t.mixerInput(x);
      NDArray teacherOut = t.mixer().forward(u, null);
      if (layers.contains(l)) {
        var sm = student.layers().get(l).mixer();
        NDArray pred = afterWo ? sm.forward(u, null) : sm.mixBeforeOutput(u);
        NDArray target = afterWo ? teacherOut : t.mixer().mixBeforeOutput(u);
        NDArray mse = LayerMse.mse(pred, target.stopGradient());
        total = total == null ? mse : total.add(mse);
      }
      x = t.finish(x, teacherOut);
    }
    return Scalars.mul(total, scale / layers.size());
  }
}
