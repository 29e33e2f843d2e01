package org.mmmamba.distill.stage;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.mmmamba.core.api.Models;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.config.InternVlChatConfigs;
import org.mmmamba.core.config.JsonFields;
import org.mmmamba.core.io.OfficialFiles;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.VlmIo;
import org.mmmamba.core.seed.Seeder;
import org.mmmamba.distill.data.ModelInputs;
import org.mmmamba.distill.recipe.EndToEndStageConfig;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.recipe.StageTraining;
import org.mmmamba.distill.train.TrainingRun;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 3 "end to end" (docs/method.md): once per student layout, the student is seeded from the
 * teacher, its Mamba-2 layers take stage 2's result, and W_C, W_B, W_x, W_G, W_dt, conv and the
 * gated norm of every Mamba-2 layer train against KL(teacher || student) over the whole model
 * ({@link EndToEndLoss}). Output: {@code students/NAME/train/} and the loadable student {@code
 * students/NAME/model/}.
 *
 * @param config its settings ({@code stages.stage3})
 */
public record EndToEnd(EndToEndStageConfig config) implements Stage {
  private static final Logger LOG = LoggerFactory.getLogger(EndToEnd.class);

  @Override
  public String label() {
    return "stage3";
  }

  @Override
  public List<String> roles() {
    return TrainableSets.END_TO_END;
  }

  @Override
  public StageTraining training() {
    return config.training();
  }

  /**
   * The stage's loss of {@code student} against {@code teacher} (its temperature and CE weight).
   */
  public EndToEndLoss loss(DecoderModel teacher, DecoderModel student) {
    return new EndToEndLoss(teacher, student, config.temperature(), config.ceWeight());
  }

  /** Stage 3's loss of one batch on one replica (its manager, teacher and loss). */
  private NDArray lossOf(
      EndToEndLoss loss,
      ai.djl.ndarray.NDManager m,
      VisionLanguageModel teacher,
      org.mmmamba.distill.data.Batch b,
      boolean answerOnly,
      ai.djl.ndarray.types.DataType dt) {
    NDArray ids = ModelInputs.ids(m, b);
    NDArray mask =
        answerOnly
            ? ModelInputs.answerPredictionMask(m, b, dt)
            : ModelInputs.nextTokenMask(m, b, dt);
    NDArray next = ModelInputs.nextIds(ids);
    return loss.loss(teacher.inputEmbeds(ids, ModelInputs.pixels(m, b, dt)), mask, next);
  }

  /**
   * Stage 3 data parallel over {@code ctx.devices()} ({@link
   * org.mmmamba.distill.train.DataParallel}): replica 0 is {@code vlm}'s student with the run's
   * teacher on the root device, replica r a bitwise copy of both on device r ({@link Replica}).
   * Checkpoints hold replica 0's arrays (one copy), so the student saved after it is the same.
   */
  private TrainingRun.Summary trainDataParallel(
      StageContext ctx,
      RunConfig.Student st,
      VisionLanguageModel vlm,
      List<String> names,
      org.mmmamba.distill.train.RunHooks hooks,
      Path dir)
      throws IOException {
    List<ai.djl.Device> devices = ctx.devices();
    List<Replica> copies = new java.util.ArrayList<>();
    List<Map<String, NDArray>> trainable = new java.util.ArrayList<>();
    try {
      for (int r = 1; r < devices.size(); r++) {
        copies.add(Replica.copy(devices.get(r), ctx.teacher(), vlm));
      }
      List<org.mmmamba.distill.train.Loss<org.mmmamba.distill.data.Batch>> losses =
          new java.util.ArrayList<>();
      trainable.add(Mixers.trainable(vlm.decoder().weights(), names));
      EndToEndLoss l0 =
          new EndToEndLoss(
              ctx.teacher().decoder(), vlm.decoder(), config.temperature(), config.ceWeight());
      boolean answerOnly = config.answerOnly();
      losses.add(b -> lossOf(l0, ctx.root(), ctx.teacher(), b, answerOnly, ctx.dtype()));
      for (Replica rep : copies) {
        trainable.add(Mixers.trainable(rep.student().weights(), names));
        EndToEndLoss lr =
            new EndToEndLoss(
                rep.teacher().decoder(), rep.student(), config.temperature(), config.ceWeight());
        losses.add(b -> lossOf(lr, rep.manager(), rep.teacher(), b, answerOnly, ctx.dtype()));
      }
      try (org.mmmamba.distill.train.DataParallel dp =
          new org.mmmamba.distill.train.DataParallel(trainable)) {
        return TrainingRun.runDataParallel(
            dir.resolve("train"),
            ctx.settings(label() + ":" + st.name(), training(), false),
            dp,
            ctx.stream(training(), 3),
            losses,
            ctx.resume(),
            hooks);
      }
    } finally {
      for (Map<String, NDArray> t : trainable) {
        Mixers.freeze(t);
      }
      for (Replica rep : copies) {
        rep.close();
      }
    }
  }

  /** The student's directory in the run directory. */
  public Path dir(Path runDir, String student) {
    return runDir.resolve("students").resolve(student);
  }

  /**
   * Seeds, trains and saves one student ({@code dir/model}, with the teacher's tokenizer and
   * training record).
   *
   * @param all the all-Mamba student holding stage 2's result
   * @param keep receives the student's model (the caller closes it after evaluation)
   * @return the loop's summary, null when the stage is off
   */
  public TrainingRun.Summary train(
      StageContext ctx, RunConfig.Student st, DecoderModel all, List<VisionLanguageModel> keep)
      throws IOException {
    RunConfig c = ctx.config();
    HybridLayout layout = HybridLayout.parse(st.layout());
    DecoderModel tdec = ctx.teacher().decoder();
    DecoderModel student =
        Seeder.seedSharingFrozen(
            ctx.teacher().config(),
            tdec.weights(),
            layout,
            c.initStrategy(),
            c.run().seed(),
            c.init().convKernel(),
            c.init().chunkSize(),
            ctx.root());
    VisionLanguageModel vlm = ctx.teacher().withDecoder(student);
    keep.add(vlm);
    // Mamba-2 layers start from stages 1-2.
    for (String name : student.weights().names()) {
      if (name.contains(".mamba.") && all.weights().contains(name)) {
        // In place (index_put_), not copyTo(): that swaps the target's storage for a Java direct
        // buffer, which
        // then holds a trainable parameter outside torch's memory and counts against
        // MaxDirectMemorySize.
        student.weights().get(name).set(new NDIndex("..."), all.weights().get(name));
      }
    }
    Path dir = dir(c.outDir(), st.name());
    Path modelDir = dir.resolve("model");
    StageTraining s = training();
    TrainingRun.Summary sum = null;
    if (s.trains()) {
      ctx.releaseCachedGpuMemory();
      boolean answerOnly = config.answerOnly();
      org.mmmamba.distill.train.RunHooks hooks =
          (ctx.midRun() == null
                  ? org.mmmamba.distill.train.RunHooks.tensorBoard(ctx.tensorBoard(st.name()))
                  : new org.mmmamba.distill.train.RunHooks(
                      ctx.tensorBoard(st.name()),
                      c.eval().every(),
                      step -> ctx.midRun().figures(st.name(), vlm)))
              .withStepListener(ctx.onStep());
      List<String> names = trainableNames(student.config(), null);
      if (!ctx.dataParallel()) {
        Map<String, NDArray> trainable = Mixers.trainable(student.weights(), names);
        EndToEndLoss loss = loss(tdec, student);
        try {
          sum =
              TrainingRun.run(
                  dir.resolve("train"),
                  ctx.settings(label() + ":" + st.name(), s, false),
                  trainable,
                  ctx.stream(s, 3),
                  b -> lossOf(loss, ctx.root(), ctx.teacher(), b, answerOnly, ctx.dtype()),
                  ctx.resume(),
                  hooks);
        } finally {
          Mixers.freeze(trainable);
        }
      } else {
        sum = trainDataParallel(ctx, st, vlm, names, hooks, dir);
      }
    } else {
      LOG.info("{} ({}): skipped", label(), st.name());
    }
    Path teacherDir = Path.of(c.teacher().path());
    if (InternVlChatConfigs.isOfficial(teacherDir)) {
      // a published HoVLE teacher: the student in the released mmMamba layout, with the teacher's
      // tokenizer files
      VlmIo.saveReleased(
          vlm,
          modelDir,
          JsonFields.read(teacherDir.resolve("config.json")).node(),
          VlmIo.RELEASED_SHARD_BYTES);
      OfficialFiles.copyTokenizer(teacherDir, modelDir);
    } else {
      Models.save(vlm, modelDir);
      Path tok =
          c.data().tokenizer() != null
              ? Path.of(c.data().tokenizer())
              : teacherDir.resolve("tokenizer.json");
      Files.copy(tok, modelDir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
      for (String f :
          List.of("tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja")) {
        Path from =
            tok.resolveSibling(f); // the chat template and special tokens go with the tokenizer
        if (Files.isRegularFile(from)) {
          Files.copy(from, modelDir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    Path rec = Path.of(c.teacher().path()).resolve("training.json");
    if (Files.exists(rec)) {
      Files.copy(
          rec, modelDir.resolve("teacher-training.json"), StandardCopyOption.REPLACE_EXISTING);
    }
    return sum;
  }
}
