package org.mmmamba.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmmamba.app.report.Pictures;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.HybridLayout;
import org.mmmamba.core.config.LayerKind;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.seed.InitStrategy;
import org.mmmamba.core.vision.RgbImage;
import org.mmmamba.distill.data.BrokenSamplePolicy;
import org.mmmamba.distill.data.EncodedSample;
import org.mmmamba.distill.data.ShapesConfig;
import org.mmmamba.distill.data.ShapesSample;
import org.mmmamba.distill.data.ShapesTask;
import org.mmmamba.distill.data.TaskData;
import org.mmmamba.distill.eval.Evaluation;
import org.mmmamba.distill.eval.Evaluator;
import org.mmmamba.distill.eval.ImageQa;

/**
 * The facade over a tiny teacher trained for one step: conversion in memory equals conversion to
 * disk, the image question path equals the evaluator's (same prompt ids, same greedy answers),
 * project-home lookup and pictures.
 */
class MmMambaTest {
  @TempDir static Path tmp;
  static Path teacherDir;
  static VisionLanguageModel teacher;

  @BeforeAll
  static void tinyTeacher() throws Exception {
    Path yaml = Files.writeString(tmp.resolve("teacher.yaml"), "run: {name: tiny}\n");
    teacherDir =
        MmMamba.trainTeacher(
                yaml,
                "run.out_dir=" + tmp.resolve("teacher-run"),
                "train.steps=1",
                "data.batch_size=4",
                "data.synthetic.train=8",
                "eval.enabled=false",
                "checkpoint.every=1")
            .modelDir();
    teacher = MmMamba.loadTeacher(teacherDir);
  }

  @AfterAll
  static void close() {
    teacher.close();
  }

  @Test
  void convertInMemoryEqualsConvertOnDisk() {
    HybridLayout layout = HybridLayout.parse("head-interleaved:2");
    Path out =
        MmMamba.convert(teacherDir, layout, InitStrategy.INHERIT_MIMIC, 3, tmp.resolve("student"));
    assertTrue(Files.exists(out.resolve("tokenizer.json")));
    assertTrue(Files.exists(out.resolve("seeding.json")));
    assertEquals(Evaluation.template(teacherDir), Evaluation.template(out));
    try (VisionLanguageModel mem = MmMamba.convert(teacher, layout, InitStrategy.INHERIT_MIMIC, 3);
        VisionLanguageModel disk = MmMamba.loadStudent(out);
        NDScope scope = new NDScope()) {
      int n = mem.decoder().config().numLayers();
      assertEquals(layout.kinds(n), disk.decoder().config().layerKinds());
      assertEquals(2, disk.decoder().config().attentionLayers().size());
      assertEquals(LayerKind.MAMBA2, disk.decoder().config().kind(1));
      long[][] ids = {{2, 7, 9, 11}};
      NDArray a = mem.decoder().forward(mem.decoder().ids(MmMamba.manager(), ids));
      NDArray b = disk.decoder().forward(disk.decoder().ids(MmMamba.manager(), ids));
      assertArrayEquals(a.toFloatArray(), b.toFloatArray(), 0f);
    }
  }

  @Test
  void convertRefusesANonEmptyOutput() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("busy"));
    Files.writeString(out.resolve("x"), "x");
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () ->
                MmMamba.convert(
                    teacherDir, HybridLayout.linear(), InitStrategy.INHERIT_MIMIC, 0, out));
    assertTrue(e.getMessage().contains("not empty"), e.getMessage());
  }

  /** The image question path is the evaluator's twin: same prompt ids, same greedy answers. */
  @Test
  void imageQaMatchesTheEvaluator() {
    long seed = 5;
    int n = 6;
    List<ShapesSample> raw =
        ShapesTask.generate(ShapesConfig.defaults(), seed + TaskData.TEST_SEED_OFFSET, n, "test")
            .toList();
    try (VisionLanguageModel student = MmMamba.convert(teacher, "linear", "inherit_mimic");
        ImageQa qa = MmMamba.imageQa(teacherDir);
        TaskData td =
            TaskData.forModel(
                teacherDir.resolve("tokenizer.json"),
                Evaluation.template(teacherDir),
                teacher.config(),
                1)) {
      List<EncodedSample> enc =
          TaskData.all(
              td.source(TaskData.BUILTIN_SHAPES, true, seed, n, null, 512, BrokenSamplePolicy.FAIL),
              0);
      for (int i = 0; i < n; i++) {
        long[] ids = enc.get(i).encoded().inputIds();
        boolean[] answer = enc.get(i).encoded().labelMask();
        int p = 0;
        while (!answer[p]) {
          p++;
        }
        assertArrayEquals(
            Arrays.copyOf(ids, p), qa.promptIds(raw.get(i).question(), 1), "sample " + i);
      }
      Evaluator ev = new Evaluator(td.tokenizer(), td.stopId(), td.padId(), 3, 32);
      for (VisionLanguageModel m : List.of(teacher, student)) {
        assertEquals(ev.answer(m, enc).texts(), qa.ask(m, raw, 3));
      }
    }
  }

  @Test
  void homeComesFromThePropertyAndTheTeacherMustExist() {
    String old = System.getProperty(MmMamba.HOME_PROPERTY);
    try {
      System.setProperty(MmMamba.HOME_PROPERTY, tmp.toString());
      assertEquals(tmp.toAbsolutePath().normalize(), MmMamba.home());
      BadInputException e = assertThrows(BadInputException.class, MmMamba::bundledTeacher);
      assertTrue(e.getMessage().contains("models/shapes-teacher"), e.getMessage());
    } finally {
      if (old == null) {
        System.clearProperty(MmMamba.HOME_PROPERTY);
      } else {
        System.setProperty(MmMamba.HOME_PROPERTY, old);
      }
    }
  }

  @Test
  void picturesKeepPixelsAndScale() {
    float[] d = new float[3 * 2 * 3];
    d[0] = 1f; // red plane, (y 0, x 0)
    d[2 * 3 + 3 * 2 - 1] = 0.5f; // green plane, (y 1, x 2)
    d[2 * 2 * 3 + 1] = 2f; // blue plane, (y 0, x 1): clamped to 1
    RgbImage img = new RgbImage(3, 2, d);
    BufferedImage b = Pictures.of(img, 4);
    assertEquals(12, b.getWidth());
    assertEquals(8, b.getHeight());
    assertEquals(0xff0000, b.getRGB(3, 3) & 0xffffff);
    assertEquals(0x008000, b.getRGB(2 * 4 + 3, 4 + 3) & 0xffffff);
    assertEquals(0x0000ff, b.getRGB(4, 0) & 0xffffff);
    BufferedImage sheet = Pictures.sheet(List.of(img, img), List.of("a", "b\nc"), 4);
    assertTrue(sheet.getWidth() >= 2 * 12 && sheet.getHeight() > 8);
    assertTrue(Pictures.png(sheet).length > 8);
  }

  @Test
  void shapesSamplesAreDeterministic() {
    List<ShapesSample> a = MmMamba.shapesSamples(1, 3);
    assertEquals(a, MmMamba.shapesSamples(1, 3));
    assertEquals("sample-000002", a.get(2).id());
    assertEquals(28, a.get(0).image().width());
  }
}
