package org.mmmamba.distill.stage;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.mmmamba.core.config.ParamNames;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.distill.data.Batch;
import org.mmmamba.distill.data.BatchStream;
import org.mmmamba.distill.data.Collator;
import org.mmmamba.distill.data.ModelInputs;
import org.mmmamba.distill.data.SampleSource;
import org.mmmamba.distill.data.TaskData;
import org.mmmamba.distill.optim.AdamWConfig;
import org.mmmamba.distill.optim.WeightDecay;
import org.mmmamba.distill.recipe.NonFinitePolicy;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.recipe.StageTraining;
import org.mmmamba.distill.train.TrainingRun;

/**
 * What every stage of one run shares: the config, the (frozen) teacher, the task's tokenizer and
 * training samples, the root manager and dtype, and whether the run resumes.
 *
 * @param config the validated run config
 * @param teacher the teacher, frozen
 * @param task the task's tokenizer, template and geometry
 * @param train the training samples
 * @param root the root manager every stage allocates under
 * @param dtype the floating-point type of the run
 * @param resume whether each stage restarts from its last checkpoint
 * @param onStep called after every optimiser step of every stage (null for none)
 * @param midRun the held-out evaluation of {@code eval.every} during stage 3, or null when it is
 *     off
 * @param devices {@code run.devices} resolved (stage 3 runs data parallel over them, replica 0 on
 *     {@code root}'s device), or null for one device without replicas
 */
public record StageContext(
    RunConfig config,
    VisionLanguageModel teacher,
    TaskData task,
    SampleSource train,
    NDManager root,
    DataType dtype,
    boolean resume,
    org.mmmamba.distill.eval.MidRunEvaluation midRun,
    org.mmmamba.distill.train.RunHooks.StepListener onStep,
    java.util.List<ai.djl.Device> devices) {

  /**
   * On a GPU, hands libtorch's cached free blocks back to the driver before a stage, so that the
   * device memory a stage holds (nvidia-smi, docs/benchmarks.md) is its own and not the previous
   * stage's cache.
   */
  public void releaseCachedGpuMemory() {
    if (root.getDevice().isGpu()) {
      ai.djl.pytorch.jni.JniUtils.emptyCudaCache();
    }
  }

  /** The TensorBoard log directory of one stage or student: {@code <out_dir>/tb/<name>}. */
  public java.nio.file.Path tensorBoard(String name) {
    return config.outDir().resolve("tb").resolve(name);
  }

  /** True when stage 3 runs data parallel ({@code run.devices} set, even to one device). */
  public boolean dataParallel() {
    return devices != null;
  }

  /** The teacher's input embeddings (B, L, D) of a batch (text and image tokens). */
  public NDArray embeds(Batch b) {
    return teacher.inputEmbeds(ModelInputs.ids(root, b), ModelInputs.pixels(root, b, dtype));
  }

  /**
   * Batches for a stage: its batch size (else {@code data.batch_size}), the shuffle seed plus
   * {@code salt}.
   */
  public BatchStream stream(StageTraining s, int salt) {
    int bs = s.batchSize() != null ? s.batchSize() : config.data().batchSize();
    return new BatchStream(
            train, bs, config.data().shuffleSeed() + salt, new Collator(task.padId()))
        .readAhead(config.data().readAhead(), config.data().workers());
  }

  /**
   * The training loop's settings; {@code perLayerClip} clips each layer's gradient norm on its own.
   */
  public TrainingRun.Settings settings(String label, StageTraining s, boolean perLayerClip) {
    return settings(config, label, s, perLayerClip);
  }

  /**
   * The training loop's settings of stage settings {@code s} in run config {@code config} (what
   * {@link #settings(String, StageTraining, boolean)} gives, without a context).
   */
  public static TrainingRun.Settings settings(
      RunConfig config, String label, StageTraining s, boolean perLayerClip) {
    return new TrainingRun.Settings(
        label,
        s.steps(),
        Schedules.of(s),
        AdamWConfig.torchDefaults(s.weightDecay()),
        WeightDecay.official(),
        s.clip(),
        s.gradAccum(),
        config.checkpoint().every(),
        config.checkpoint().keep(),
        s.onNonFinite() == NonFinitePolicy.STOP,
        perLayerClip ? n -> String.valueOf(ParamNames.layerOf(n)) : null,
        config.precision(),
        config.run().maxConsecutiveSkips(),
        config.run().fp16InitialScale());
  }
}
