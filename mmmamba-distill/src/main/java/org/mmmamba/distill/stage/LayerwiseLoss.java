package org.mmmamba.distill.stage;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.mmmamba.core.model.DecoderLayer;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.nn.Scalars;

/**
 * The teacher-forced, layer-wise loss of stages 1 and 2 (docs/method.md §3). Every converted layer
 * sees the <em>teacher's</em> hidden state at its input; the teacher's output carries the residual
 * stream on, so layers are independent and the student model is never run end to end:
 *
 * <pre>
 *   x_0 = input embeddings
 *   u_l = RMSNorm_l(x_l)
 *   loss += MSE(StudentMixer_l(u_l), Attention_l(u_l))        (before W_O by default)
 *   x_{l+1} = TeacherLayer_l(x_l)
 *   loss = scale * loss / (number of layers of the model)
 * </pre>
 *
 * <p>Dividing by the model's layer count (not the number of selected layers), together with
 * per-layer gradient clipping in the stage, makes each layer's update independent of which other
 * layers train in the same process: {@code --layers 0-3} and {@code --layers 4-7} in two processes
 * give the same student as one process.
 */
public final class LayerwiseLoss {
  private final DecoderModel teacher;
  private final DecoderModel student;
  private final List<Integer> layers;
  private final double scale;
  private final boolean afterWo;
  private final int numLayers;

  /**
   * @param teacher the all-attention teacher decoder (frozen)
   * @param student a student whose selected layers are Mamba-2
   * @param layers the layers trained by this process (all, or a shard for multi-process runs)
   * @param scale the loss multiplier (1000 in the reference)
   * @param afterWo compare after the output projection (the paper figure's variant) instead of
   *     before
   * @param numLayers the model's layer count (the mean's denominator)
   */
  public LayerwiseLoss(
      DecoderModel teacher,
      DecoderModel student,
      List<Integer> layers,
      double scale,
      boolean afterWo,
      int numLayers) {
    this.teacher = teacher;
    this.student = student;
    this.layers = List.copyOf(layers);
    this.scale = scale;
    this.afterWo = afterWo;
    this.numLayers = numLayers;
  }

  /**
   * The scalar loss for input embeddings (B, L, D) (computed without gradients on the teacher
   * side).
   */
  public NDArray loss(NDArray embeds) {
    return loss(teacherSignals(embeds));
  }

  /**
   * The teacher side of the loss: for each selected layer l, {u_l, target_l} where u_l =
   * RMSNorm_l(x_l) is the mixer input (B, L, D) and target_l the attention output, (B, L, H, P)
   * before W_O or (B, L, D) after. This is what {@link TeacherCache} stores, so that the teacher
   * runs once per batch.
   */
  public Map<Integer, NDArray[]> teacherSignals(NDArray embeds) {
    // The teacher is frozen: no graph (and fp16's casts take one op instead of three).
    return org.mmmamba.core.nn.GradMode.off(() -> runTeacher(embeds));
  }

  private Map<Integer, NDArray[]> runTeacher(NDArray embeds) {
    int last = layers.stream().mapToInt(Integer::intValue).max().orElse(-1);
    Map<Integer, NDArray[]> out = new TreeMap<>();
    NDArray x = embeds;
    for (int l = 0; l <= last; l++) {
      DecoderLayer t = teacher.layers().get(l);
      NDArray u = t.mixerInput(x);
      NDArray teacherOut;
      if (layers.contains(l) && !afterWo) {
        // attention once: its per-head output is the target, W_O of it carries the stream on
        NDArray mix = t.mixer().mixBeforeOutput(u);
        teacherOut = t.mixer().outputProjection(mix);
        out.put(l, new NDArray[] {u.stopGradient(), mix.stopGradient()});
      } else {
        teacherOut = t.mixer().forward(u, null);
        if (layers.contains(l)) {
          out.put(l, new NDArray[] {u.stopGradient(), teacherOut.stopGradient()});
        }
      }
      x = t.finish(x, teacherOut);
    }
    return out;
  }

  /** The student side: scale * sum_l MSE(StudentMixer_l(u_l), target_l) / number of layers. */
  public NDArray loss(Map<Integer, NDArray[]> signals) {
    NDArray total = null;
    for (Map.Entry<Integer, NDArray[]> e : signals.entrySet()) {
      var sm = student.layers().get(e.getKey()).mixer();
      NDArray u = e.getValue()[0];
      NDArray pred = afterWo ? sm.forward(u, null) : sm.mixBeforeOutput(u);
      NDArray mse = LayerMse.mse(pred, e.getValue()[1]);
      total = total == null ? mse : total.add(mse);
    }
    return Scalars.mul(total, scale / numLayers);
  }
}
