package org.example.consumer;

import java.nio.file.Path;
import java.util.List;
import org.mmmamba.core.Offline;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.distill.api.ImageQa;
import org.mmmamba.distill.api.MmMamba;
import org.mmmamba.distill.data.ShapesSample;

/**
 * Loads a vision-language teacher through mmmamba-distill's public API, seeds a hybrid Mamba-2 student from it
 * and puts one image question to both. Argument: the teacher's directory (e.g. models/shapes-teacher).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    Offline.init();
    Path teacherDir = Path.of(args[0]);
    ShapesSample q = MmMamba.shapesSamples(42, 1).get(0);
    try (VisionLanguageModel teacher = MmMamba.loadTeacher(teacherDir);
        VisionLanguageModel student = MmMamba.convert(teacher, "head-interleaved:2", "inherit_mimic");
        ImageQa qa = MmMamba.imageQa(teacherDir)) {
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
