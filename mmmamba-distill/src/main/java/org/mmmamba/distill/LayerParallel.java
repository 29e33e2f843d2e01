package org.mmmamba.distill;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.mmmamba.core.BadInputException;
import org.mmmamba.distill.recipe.RunConfig;
import org.mmmamba.distill.recipe.YamlConfigs;

/**
 * Layer-parallel stages 1-2 in one process (docs/scale-out.md): the layers are split into
 * contiguous ranges, one per device of {@code run.devices}, and each range runs as the {@code
 * distill --layers} part it would be in its own process ({@link Distillation#run} with that layer
 * subset, {@code run.device} = its device, output {@code OUT/parts/K}), all parts at once, each on
 * its own thread; then {@link Merge} writes {@code OUT/stage1/} and {@code OUT/stage2/
 * mixers.safetensors}. Stages 1-2 train each layer on its own (per-layer clipping, the teacher's
 * own activations), so the merged result is the sequential run's. Threads are possible because
 * training steps do not use DJL's one-per-JVM {@code GradientCollector} ({@link
 * org.mmmamba.distill.train.Backward}). Stage 3 is not run: continue with {@code init.from:
 * OUT/stage2/mixers.safetensors}.
 */
public final class LayerParallel {
  private LayerParallel() {}

  /**
   * The contiguous layer ranges of {@code parts} parts over {@code layers} layers, sizes differing
   * by at most one (the first ones larger).
   */
  public static List<List<Integer>> split(int layers, int parts) {
    if (parts < 1 || layers < 1) {
      throw new IllegalArgumentException("need >= 1 layer and part, got " + layers + ", " + parts);
    }
    List<List<Integer>> out = new ArrayList<>();
    int start = 0;
    for (int p = 0; p < Math.min(parts, layers); p++) {
      int size = layers / parts + (p < layers % parts ? 1 : 0);
      List<Integer> r = new ArrayList<>();
      for (int i = start; i < start + size; i++) {
        r.add(i);
      }
      out.add(r);
      start += size;
    }
    return out;
  }

  /**
   * As {@link #run(YamlConfigs.Located, int, Distillation.Options)} with the number of layers of
   * the teacher's joint stack read from its config.
   */
  public static List<Path> run(YamlConfigs.Located<RunConfig> at, Distillation.Options o)
      throws IOException {
    Path t = Path.of(at.value().teacher().path());
    if (!java.nio.file.Files.isDirectory(t)) {
      throw new BadInputException(at.where("teacher.path") + ": " + t + " not found");
    }
    org.mmmamba.core.config.VlmConfig vc =
        org.mmmamba.core.config.InternVlChatConfigs.isOfficial(t)
            ? org.mmmamba.core.config.InternVlChatConfigs.read(t)
            : org.mmmamba.core.config.VlmConfigs.read(t);
    return run(at, vc.stack().numLayers(), o);
  }

  /**
   * Runs stages 1-2 of {@code at} over its {@code run.devices} ({@code numLayers} layers in the
   * teacher's stack) and merges the parts into {@code run.out_dir}.
   *
   * @return the merged files
   * @throws BadInputException when {@code run.devices} is not set, or bad input in a part
   */
  public static List<Path> run(
      YamlConfigs.Located<RunConfig> at, int numLayers, Distillation.Options o) throws IOException {
    RunConfig c = at.value();
    if (c.run().devices() == null) {
      throw new BadInputException(
          at.where("run.devices") + ": layer-parallel stages 1-2 need run.devices");
    }
    List<Device> devices;
    try {
      devices = c.run().devices().resolve(ai.djl.engine.Engine.getInstance().getGpuCount());
    } catch (IllegalArgumentException e) {
      throw new BadInputException(at.where("run.devices") + ": " + e.getMessage(), e);
    }
    List<List<Integer>> ranges = split(numLayers, devices.size());
    List<Path> parts = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(ranges.size());
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int k = 0; k < ranges.size(); k++) {
        Path out = c.outDir().resolve("parts").resolve(String.valueOf(k));
        parts.add(out);
        Device d = devices.get(k);
        RunConfig.Run r = c.run();
        RunConfig.Run pr =
            new RunConfig.Run(
                r.name() + "-part" + k,
                out.toString(),
                r.seed(),
                d.isGpu() ? "gpu" + d.getDeviceId() : "cpu",
                null,
                r.dtype(),
                r.precision(),
                r.maxConsecutiveSkips(),
                r.fp16InitialScale());
        RunConfig pc =
            new RunConfig(
                pr,
                c.teacher(),
                c.data(),
                c.init(),
                c.students(),
                c.stages(),
                c.checkpoint(),
                c.eval());
        YamlConfigs.Located<RunConfig> pat = new YamlConfigs.Located<>(pc, at.source(), at.lines());
        Distillation.Options po =
            new Distillation.Options(
                o.resume(), ranges.get(k), o.commandLine(), o.force(), o.onStep());
        running.add(
            pool.submit(
                () -> {
                  // A new thread starts with torch's grad mode on; the run expects it off.
                  ai.djl.pytorch.jni.JniUtils.setGradMode(false);
                  Distillation.run(pat, po);
                  return null;
                }));
      }
      Throwable first = null;
      for (Future<?> f : running) {
        try {
          f.get();
        } catch (ExecutionException e) {
          first = first == null ? e.getCause() : first;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          first = first == null ? e : first;
        }
      }
      if (first instanceof RuntimeException re) {
        throw re;
      }
      if (first instanceof IOException io) {
        throw io;
      }
      if (first instanceof Error err) {
        throw err;
      }
      if (first != null) {
        throw new IllegalStateException("a layer-parallel part failed: " + first, first);
      }
    } finally {
      pool.shutdownNow();
    }
    return parts.size() < 2 ? List.of() : Merge.run(c.outDir(), parts);
  }
}
