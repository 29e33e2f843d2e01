package org.example.consumer;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.mmmamba.core.Offline;
import org.mmmamba.core.api.Models;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.distill.eval.ImageQa;
import org.mmmamba.distill.data.ShapesConfig;
import org.mmmamba.distill.data.ShapesSample;
import org.mmmamba.distill.data.ShapesTask;

/**
 * Loads a vision-language teacher through mmmamba-distill's public API, seeds a hybrid Mamba-2 student from it
 * and puts one image question to both. Argument: the teacher's directory (e.g. models/shapes-teacher).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    Offline.init();
    Path teacherDir = Path.of(args[0]);
    ShapesSample q;
    try (Stream<ShapesSample> s = ShapesTask.generate(ShapesConfig.defaults(), 42, 1, "sample")) {
      q = s.findFirst().orElseThrow();
    }
    try (NDManager m = NDManager.newBaseManager();
        VisionLanguageModel teacher = Models.loadVlm(teacherDir, m, DataType.FLOAT32);
        VisionLanguageModel student = Models.convert(teacher, HybridLayout.parse("head-interleaved:2"),
            InitStrategy.parse("inherit_mimic"), 0);
        ImageQa qa = ImageQa.forModel(teacherDir)) {
      System.out.println("teacher layers: " + kinds(teacher.decoder().config().layerKinds()));
      System.out.println("student layers: " + kinds(student.decoder().config().layerKinds()));
      System.out.println("question: " + q.question() + " | reference: " + q.answer()
          + " | teacher: " + qa.ask(teacher, q.image(), q.question(), 3)
          + " | student: " + qa.ask(student, q.image(), q.question(), 3));
    }
  }

  private static String kinds(List<LayerKind> kinds) {
    StringBuilder sb = new StringBuilder();
    for (LayerKind k : kinds) {
      sb.append(k == LayerKind.ATTENTION ? 'A' : 'M');
    }
    return sb.toString();
  }
}
