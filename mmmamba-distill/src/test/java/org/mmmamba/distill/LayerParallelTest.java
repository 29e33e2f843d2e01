package org.mmmamba.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Offline;

/**
 * Layer-parallel stages 1-2 in one process ({@link LayerParallel}) over two CPU "devices" (two
 * parts on two threads at once) against the sequential all-layer run: the merged stage results are
 * bitwise the sequential ones.
 */
class LayerParallelTest {
  static {
    Offline.init();
  }

  @TempDir Path tmp;

  @Test
  void splitIsContiguousAndBalanced() {
    assertEquals(List.of(List.of(0, 1), List.of(2, 3)), LayerParallel.split(4, 2));
    assertEquals(List.of(List.of(0, 1), List.of(2), List.of(3)), LayerParallel.split(4, 3));
    assertEquals(List.of(List.of(0), List.of(1)), LayerParallel.split(2, 5));
  }

  @Test
  void twoDevicesEqualTheSequentialRun() throws Exception {
    Path teacher = TinyRuns.teacher(tmp.resolve("teacher"));
    List<String> noStage3 = List.of("stages.stage3.enabled=false", "eval.enabled=false");
    Path seq = tmp.resolve("seq");
    Distillation.run(TinyRuns.distill(teacher, seq, noStage3), Distillation.Options.defaults());
    Path par = tmp.resolve("par");
    List<String> sets =
        List.of("stages.stage3.enabled=false", "eval.enabled=false", "run.devices=[cpu0, cpu1]");
    List<Path> written =
        LayerParallel.run(TinyRuns.distill(teacher, par, sets), Distillation.Options.defaults());
    assertEquals(2, written.size());
    for (String stage : List.of("stage1", "stage2")) {
      Map<String, float[]> one = DistillationTest.read(seq.resolve(stage + "/mixers.safetensors"));
      Map<String, float[]> two = DistillationTest.read(par.resolve(stage + "/mixers.safetensors"));
      assertEquals(one.keySet(), two.keySet(), stage);
      for (String n : one.keySet()) {
        assertArrayEquals(one.get(n), two.get(n), stage + " " + n);
      }
    }
    assertTrue(par.resolve("parts/0/stage1/mixers.safetensors").toFile().exists());
    assertTrue(par.resolve("parts/1/stage1/mixers.safetensors").toFile().exists());
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () ->
                LayerParallel.run(
                    TinyRuns.distill(teacher, tmp.resolve("x"), noStage3),
                    Distillation.Options.defaults()));
    assertTrue(e.getMessage().contains("run.devices"), e.getMessage());
  }
}
