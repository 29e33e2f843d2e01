package org.mmmamba.distill.checkpoint;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.io.AtomicText;
import org.mmmamba.core.io.CheckpointReader;
import org.mmmamba.core.io.SafetensorsWriter;
import org.mmmamba.core.io.TensorInfo;
import org.mmmamba.core.io.TensorIo;
import org.mmmamba.distill.optim.AdamW;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resumable training checkpoints: one directory {@code ckpt-<step>/} per save inside a run
 * directory.
 *
 * <pre>
 * runDir/
 *   ckpt-1000/  weights.safetensors    tensors by canonical name (whatever the caller passes: trainable and
 *                                      every other tensor needed to resume)
 *               optimizer.safetensors  AdamW state (optim.m.*, optim.v.*, optim.t.*), if an optimiser is given
 *               state.json             {@link TrainingState}: step, epoch, sample cursor, schedule position,
 *                                      seeds, metadata, and the file names above
 *   ckpt-2000/  ...
 *   latest      "ckpt-2000": the newest complete checkpoint, for people and scripts
 * </pre>
 *
 * <p>Crash safety ({@link #save}): everything is written into a hidden temp directory {@code
 * .ckpt-<step>.tmp-<random>} (each file fsynced, then the directory), which is renamed atomically
 * to {@code ckpt-<step>}; the run directory is fsynced, then {@code latest} is replaced atomically,
 * and only then are older checkpoints deleted (each first renamed to a hidden name, so that a kill
 * mid-delete cannot leave a partial {@code ckpt-<step>}). A kill at any moment leaves every earlier
 * complete checkpoint intact; what it can leave behind is a hidden temp directory, which {@link
 * #latest} ignores and the next save removes. A directory named {@code ckpt-<step>} exists only
 * complete, so {@link #latest} trusts the directory scan; the {@code latest} file agrees with it
 * except in the instant between the rename and its own update.
 *
 * <p>One writer per run directory.
 */
public final class TrainingCheckpoint {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingCheckpoint.class);

  /** Directory name prefix. */
  public static final String PREFIX = "ckpt-";

  /** The pointer file in the run directory. */
  public static final String LATEST = "latest";

  /** Tensor file names inside a checkpoint. */
  public static final String WEIGHTS = "weights.safetensors";

  /** Optimiser state file name inside a checkpoint. */
  public static final String OPTIMIZER = "optimizer.safetensors";

  /** Progress file name inside a checkpoint; written last. */
  public static final String STATE = "state.json";

  private static final Pattern NAME = Pattern.compile("ckpt-(\\d{1,18})");

  /**
   * Test hook: called after each phase of {@link #save} ("weights", "optimizer", "state",
   * "renamed") and after an old checkpoint is renamed away before its deletion ("discarded").
   */
  interface FaultHook {
    void after(String phase) throws IOException;
  }

  static volatile FaultHook hook = phase -> {};

  private TrainingCheckpoint() {}

  /**
   * Writes checkpoint {@code ckpt-<state.step()>} atomically, points {@code latest} at it, then
   * keeps only the newest {@code keepLast} checkpoints. Checkpoints with a larger step (left by a
   * run that was resumed from an earlier one, so no longer on this run's path) are removed too,
   * after the new one is complete. An existing checkpoint of the same step is replaced.
   *
   * @param weights tensors to save by name; read while writing, so do not change them concurrently
   * @param optimizer its state is saved too; null for none
   * @return the checkpoint directory
   * @throws UncheckedIOException on I/O failure; earlier checkpoints are untouched and no partial
   *     {@code ckpt-*} directory is left
   */
  public static Path save(
      Path runDir,
      TrainingState state,
      Map<String, NDArray> weights,
      AdamW optimizer,
      int keepLast) {
    if (keepLast < 1) {
      throw new IllegalArgumentException("keepLast must be >= 1, got " + keepLast);
    }
    String name = PREFIX + state.step();
    Path dir = runDir.resolve(name);
    Path tmp =
        runDir.resolve(
            "." + name + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    try {
      Files.createDirectories(runDir);
      Files.createDirectory(tmp);
      boolean renamed = false;
      try {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        weights.forEach((n, a) -> TensorIo.put(w, n, a));
        w.write(tmp.resolve(WEIGHTS));
        hook.after("weights");
        if (optimizer != null) {
          optimizer.save(tmp.resolve(OPTIMIZER));
        }
        hook.after("optimizer");
        AtomicText.writeString(
            tmp.resolve(STATE), state.toJson(WEIGHTS, optimizer == null ? null : OPTIMIZER));
        hook.after("state");
        fsyncDirectory(tmp);
        Path old = null;
        if (Files.exists(dir)) {
          old =
              runDir.resolve(
                  "." + name + ".old-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
          Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        renamed = true;
        fsyncDirectory(runDir);
        if (old != null) {
          deleteTree(old);
        }
        hook.after("renamed");
      } finally {
        if (!renamed) {
          deleteTreeQuietly(tmp);
        }
      }
      AtomicText.writeString(runDir.resolve(LATEST), name + "\n");
      prune(runDir, state.step(), keepLast);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint " + dir + ": " + e, e);
    }
  }

  /**
   * The newest complete checkpoint of a run: the {@code ckpt-<step>} directory with the largest
   * step whose {@code state.json} reads; hidden temp directories are ignored. Empty if there is
   * none (or no run dir).
   */
  public static Optional<Path> latest(Path runDir) {
    List<Path> all = list(runDir);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** The complete checkpoints of a run, oldest first (see {@link #latest}). */
  public static List<Path> list(Path runDir) {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(runDir)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(runDir)) {
      for (Path p : ds) {
        if (stepOrNegative(p) >= 0 && Files.isDirectory(p) && isComplete(p)) {
          out.add(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + runDir + ": " + e, e);
    }
    out.sort(Comparator.comparingLong(TrainingCheckpoint::stepOrNegative));
    return out;
  }

  /** The step encoded in a checkpoint directory's name, or -1 if it is not {@code ckpt-<step>}. */
  public static long stepOrNegative(Path ckptDir) {
    Path fn = ckptDir.getFileName();
    Matcher m = NAME.matcher(fn == null ? "" : fn.toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  /** Reads a checkpoint's {@code state.json}; see {@link TrainingState#read}. */
  public static TrainingState readState(Path ckptDir) {
    return TrainingState.read(ckptDir.resolve(STATE));
  }

  /**
   * Copies a checkpoint's tensors into the given arrays in place and restores the optimiser;
   * returns its state. The weights file must hold exactly the names of {@code weights} with the
   * same shapes, checked for all tensors before any array changes. Call outside a {@code
   * GradientCollector}.
   *
   * @param optimizer restored from the optimiser file; null to skip it
   * @throws BadInputException naming the file and tensor for a missing, extra or mis-shaped tensor,
   *     a missing optimiser state, or a bad {@code state.json}
   */
  public static TrainingState restore(Path ckptDir, Map<String, NDArray> weights, AdamW optimizer) {
    Path stateFile = ckptDir.resolve(STATE);
    TrainingState state = TrainingState.read(stateFile);
    String weightsName = TrainingState.fileName(stateFile, "weights");
    if (weightsName == null) {
      throw new BadInputException(stateFile + ": key 'files.weights' is null");
    }
    String optName = TrainingState.fileName(stateFile, "optimizer");
    if (optimizer != null && optName == null) {
      throw new BadInputException(
          stateFile + ": checkpoint has no optimiser state (files.optimizer is null)");
    }
    Path weightsFile = ckptDir.resolve(weightsName);
    try (CheckpointReader r = CheckpointReader.open(weightsFile)) {
      Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
      weights.forEach((n, a) -> shapes.put(n, a.getShape().getShape()));
      checkTensors(weightsFile, r, shapes);
      for (Map.Entry<String, NDArray> e : weights.entrySet()) {
        TensorIo.copyInto(r, e.getKey(), e.getValue());
      }
    }
    if (optimizer != null) {
      optimizer.load(ckptDir.resolve(optName));
    }
    return state;
  }

  /**
   * Checks, without loading anything, that {@link #restore} of this checkpoint into tensors of the
   * given names and shapes would succeed: state.json reads, the weights file holds exactly these
   * tensors with these shapes, and (when {@code optimizer}) the optimiser file opens and holds the
   * moments of exactly these tensors with the same shapes. Lets a resume refuse a checkpoint before
   * it writes anything.
   *
   * @throws BadInputException naming the file and tensor, as {@link #restore} would
   */
  public static TrainingState verify(Path ckptDir, Map<String, long[]> shapes, boolean optimizer) {
    Path stateFile = ckptDir.resolve(STATE);
    TrainingState state = TrainingState.read(stateFile);
    String weightsName = TrainingState.fileName(stateFile, "weights");
    if (weightsName == null) {
      throw new BadInputException(stateFile + ": key 'files.weights' is null");
    }
    Path weightsFile = ckptDir.resolve(weightsName);
    try (CheckpointReader r = CheckpointReader.open(weightsFile)) {
      checkTensors(weightsFile, r, shapes);
    }
    if (optimizer) {
      String optName = TrainingState.fileName(stateFile, "optimizer");
      if (optName == null) {
        throw new BadInputException(
            stateFile + ": checkpoint has no optimiser state (files.optimizer is null)");
      }
      Path optFile = ckptDir.resolve(optName);
      Map<String, long[]> moments = new java.util.TreeMap<>();
      shapes.forEach(
          (n, sh) -> {
            moments.put(AdamW.PREFIX + "m." + n, sh);
            moments.put(AdamW.PREFIX + "v." + n, sh);
            moments.put(AdamW.PREFIX + "t." + n, new long[] {1});
          });
      try (CheckpointReader r = CheckpointReader.open(optFile)) {
        checkTensors(optFile, r, moments);
      }
    }
    return state;
  }

  /**
   * The reader must hold exactly the named tensors with these shapes; the message names file and
   * tensor.
   */
  private static void checkTensors(Path file, CheckpointReader r, Map<String, long[]> shapes) {
    Set<String> extra = new TreeSet<>(r.names());
    extra.removeAll(shapes.keySet());
    if (!extra.isEmpty()) {
      throw new BadInputException(
          file
              + ": unexpected tensor '"
              + extra.iterator().next()
              + "'"
              + (extra.size() > 1 ? " (and " + (extra.size() - 1) + " more)" : ""));
    }
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      if (!r.contains(e.getKey())) {
        throw new BadInputException(file + ": missing tensor '" + e.getKey() + "'");
      }
      TensorInfo t = r.info(e.getKey());
      if (!Arrays.equals(t.shape(), e.getValue())) {
        throw new BadInputException(
            file
                + ": tensor '"
                + e.getKey()
                + "' has shape "
                + Arrays.toString(t.shape())
                + ", expected "
                + Arrays.toString(e.getValue()));
      }
    }
  }

  /** A complete checkpoint has a readable state.json (written last, before the rename). */
  private static boolean isComplete(Path dir) {
    try {
      TrainingState.read(dir.resolve(STATE));
      return true;
    } catch (BadInputException e) {
      LOG.warn("ignoring incomplete checkpoint {}: {}", dir, e.getMessage());
      return false;
    }
  }

  /**
   * Keeps the newest {@code keepLast} up to {@code current}; removes later ones and stray temp
   * dirs.
   */
  private static void prune(Path runDir, long current, int keepLast) throws IOException {
    List<Path> complete = list(runDir);
    List<Path> kept = new ArrayList<>();
    for (Path p : complete) {
      if (stepOrNegative(p) > current) {
        LOG.warn(
            "removing {}: newer than the checkpoint just written, so from an abandoned run", p);
        discard(p);
      } else {
        kept.add(p);
      }
    }
    for (int i = 0; i < kept.size() - keepLast; i++) {
      discard(kept.get(i));
    }
    removeLeftovers(runDir);
  }

  /**
   * Removes what a killed process left in a run directory: hidden temp and half-deleted checkpoint
   * directories ({@code .ckpt-*}) and temp files of the {@code latest} pointer. Safe with one
   * writer per run directory; saves do it after every checkpoint, a run at its start (a resumed
   * stage that is already finished saves nothing).
   */
  public static void removeLeftovers(Path runDir) {
    if (!Files.isDirectory(runDir)) {
      return;
    }
    for (String glob : List.of(".ckpt-*", "." + LATEST + ".*.tmp")) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(runDir, glob)) {
        for (Path p : ds) {
          deleteTreeQuietly(p);
        }
      } catch (IOException e) {
        LOG.warn("could not list {}: {}", runDir, e.toString());
      }
    }
  }

  /**
   * Removes a checkpoint without ever leaving a partial {@code ckpt-<step>} behind: it is first
   * renamed to a hidden {@code .ckpt-<step>.del-<random>} (atomic), then deleted; a kill in between
   * leaves a hidden directory, which the next save removes. (Deleting in place could leave, e.g.,
   * state.json without the weights: a directory that looks complete but cannot be restored.)
   */
  private static void discard(Path ckpt) throws IOException {
    Path gone =
        ckpt.resolveSibling(
            "."
                + ckpt.getFileName()
                + ".del-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    Files.move(ckpt, gone, StandardCopyOption.ATOMIC_MOVE);
    hook.after("discarded");
    deleteTree(gone);
  }

  private static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // Not supported on every platform; the renames still happened.
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static void deleteTreeQuietly(Path root) {
    try {
      deleteTree(root);
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("could not remove {}: {}", root, e.toString());
    }
  }
}
