package org.mmmamba.distill.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.text.WordLevelTokenizerWriter;
import org.mmmamba.core.vision.ImageIoLoader;

/**
 * The built-in synthetic multimodal task: small images of 1 to {@code maxShapes} coloured shapes on
 * a grid, with single-word questions that can only be answered by looking at the image.
 *
 * <p>Question families ({@link QuestionType}), each chosen with probability 1/4:
 *
 * <ul>
 *   <li>COLOR {@code what color is the <shape> ?}: the asked shape and the answer colour are drawn
 *       uniformly and independently; the other objects have other shapes.
 *   <li>SHAPE {@code what shape is the <color> object ?}: the asked colour and the answer shape are
 *       uniform and independent; the other objects have other colours.
 *   <li>COUNT {@code how many shapes are there ?}: the count is uniform in 1..maxShapes.
 *   <li>POSITION {@code where is the <color> <shape> ?}: the object and its cell are uniform;
 *       answers are {@code top-left top-right bottom-left bottom-right} on a 2x2 grid, plus {@code
 *       top left center right bottom} on a 3x3 grid.
 * </ul>
 *
 * <p>So, for every question text, the answer is uniform over its options and independent of the
 * text: a text-only model is at chance. Every question is answerable without ambiguity: no two
 * objects share colour and shape, objects sit in distinct cells with a gap of at least 2 pixels
 * between them, and the asked object exists (and is the only one of its shape, or colour, where
 * that is what is asked). Shape sizes (60 to 100% of the cell minus a 1-pixel margin, and at least
 * 6 pixels so the three shapes stay tellable apart) and positions inside the cell are random.
 *
 * <p>Determinism: everything follows from the seed through {@link SplittableRandom} (one {@code
 * split()} per sample) and Java2D drawing without antialiasing; the same seed gives the same files
 * byte for byte. The test split uses a seed derived from the train seed; with so small a scene
 * space, some test images can equal train images.
 */
public final class ShapesTask {
  /** Number words for counts 1..9. */
  static final List<String> NUMBERS =
      List.of("one", "two", "three", "four", "five", "six", "seven", "eight", "nine");

  /**
   * Words of the optional question preamble ({@link #writeDataset(Path, ShapesConfig, long, int,
   * int, int, boolean)}): a sample with {@code k} filler words starts its question with the first
   * {@code k} of these (cycled), so question lengths vary as in a real dataset while the answer
   * still needs the image.
   */
  public static final List<String> FILLER_WORDS =
      List.of(
          "please",
          "look",
          "carefully",
          "at",
          "this",
          "picture",
          "and",
          "then",
          "answer",
          "my",
          "question",
          ":");

  /**
   * Mixed into the seed of the filler-length stream, so filler lengths are independent of the
   * scenes.
   */
  private static final long FILLER_SEED_MIX = 0x5DEECE66DL;

  private ShapesTask() {}

  /**
   * Generates samples in memory with the default configuration.
   *
   * @param seed the seed
   * @param n number of samples
   * @return a lazy stream of {@code n} samples with ids {@code sample-000000...}
   */
  public static Stream<ShapesSample> generate(long seed, int n) {
    return generate(ShapesConfig.defaults(), seed, n, "sample");
  }

  /**
   * Generates samples in memory.
   *
   * @param config task settings (validated here)
   * @param seed the seed
   * @param n number of samples
   * @param idPrefix ids are {@code idPrefix-000000}, {@code idPrefix-000001}, ...
   * @return a lazy, sequential stream of {@code n} samples
   */
  public static Stream<ShapesSample> generate(
      ShapesConfig config, long seed, int n, String idPrefix) {
    config.validate();
    SplittableRandom root = new SplittableRandom(seed);
    return Stream.iterate(0, i -> i < n, i -> i + 1)
        .map(i -> sample(config, root.split(), String.format("%s-%06d", idPrefix, i)));
  }

  /**
   * Every word the task can produce (questions, answers, and the words of the chat templates), in a
   * fixed order.
   *
   * @param config task settings
   * @return the vocabulary without special tokens
   */
  public static List<String> vocabulary(ShapesConfig config) {
    LinkedHashSet<String> v = new LinkedHashSet<>();
    v.addAll(List.of("USER", ":", "ASSISTANT", "user", "assistant", "system"));
    v.addAll(List.of("what", "color", "is", "the", "shape", "object", "how", "many", "shapes"));
    v.addAll(List.of("are", "there", "where", "?"));
    for (ShapeColor c : ShapeColor.values()) {
      v.add(c.word());
    }
    for (ShapeKind k : ShapeKind.values()) {
      v.add(k.word());
    }
    v.addAll(NUMBERS.subList(0, config.maxShapes()));
    for (int r = 0; r < config.gridSize(); r++) {
      for (int c = 0; c < config.gridSize(); c++) {
        v.add(positionName(config.gridSize(), r, c));
      }
    }
    return List.copyOf(v);
  }

  /**
   * The answer word for a grid cell.
   *
   * @param gridSize 2 or 3
   * @param row cell row
   * @param col cell column
   * @return e.g. {@code top-left}, or on a 3x3 grid {@code top}, {@code center}, ...
   */
  public static String positionName(int gridSize, int row, int col) {
    String[] rows =
        gridSize == 2 ? new String[] {"top", "bottom"} : new String[] {"top", "", "bottom"};
    String[] cols =
        gridSize == 2 ? new String[] {"left", "right"} : new String[] {"left", "", "right"};
    String r = rows[row];
    String c = cols[col];
    if (r.isEmpty() && c.isEmpty()) {
      return "center";
    }
    if (r.isEmpty() || c.isEmpty()) {
      return r + c;
    }
    return r + "-" + c;
  }

  /**
   * Writes a dataset with the default configuration; refuses a non-empty {@code outDir}.
   *
   * @param outDir target directory
   * @param seed the seed
   * @param train number of training samples
   * @param test number of test samples
   */
  public static void writeDataset(Path outDir, long seed, int train, int test) {
    writeDataset(outDir, ShapesConfig.defaults(), seed, train, test, false);
  }

  /**
   * Writes a dataset without filler words: the samples equal those of {@code builtin:shapes} with
   * the same seed and counts (the test split uses {@code seed + }{@link TaskData#TEST_SEED_OFFSET},
   * as the built-in held-out split does).
   *
   * @param outDir target directory
   * @param config task settings
   * @param seed the seed
   * @param train number of training samples
   * @param test number of test samples
   * @param force replace an existing non-empty {@code outDir}
   */
  public static void writeDataset(
      Path outDir, ShapesConfig config, long seed, int train, int test, boolean force) {
    writeDataset(outDir, config, seed, train, test, 0, force);
  }

  /**
   * Writes {@code outDir/train.json}, {@code outDir/test.json} (LLaVA format with a {@code
   * question_type} field), {@code outDir/images/*.png}, {@code outDir/tokenizer.json} (word-level,
   * covering {@link #vocabulary} and the special tokens) and {@code outDir/task.json} (what
   * produced it). Everything is written to a temporary directory next to {@code outDir} and then
   * moved into place, so {@code outDir} is never left half-written.
   *
   * @param outDir target directory
   * @param config task settings
   * @param seed the seed
   * @param train number of training samples
   * @param test number of test samples
   * @param maxFillerWords each question gets a preamble of {@code k} {@link #FILLER_WORDS}, {@code
   *     k} uniform in {@code 0..maxFillerWords} (0: no preamble, the samples equal {@code
   *     builtin:shapes})
   * @param force replace an existing non-empty {@code outDir}
   * @throws BadInputException if {@code outDir} is a file, or a non-empty directory without force,
   *     or a count is negative
   */
  public static void writeDataset(
      Path outDir,
      ShapesConfig config,
      long seed,
      int train,
      int test,
      int maxFillerWords,
      boolean force) {
    config.validate();
    if (train < 0 || test < 0 || maxFillerWords < 0) {
      throw new BadInputException(
          "shapes dataset: --train, --test and --filler must be >= 0 (got "
              + train
              + ", "
              + test
              + ", "
              + maxFillerWords
              + ")");
    }
    Path target = outDir.toAbsolutePath().normalize();
    try {
      if (Files.exists(target)) {
        if (!Files.isDirectory(target)) {
          throw new BadInputException("output path is a file, not a directory: " + target);
        }
        if (!force && !isEmptyDir(target)) {
          throw new BadInputException(
              "output directory is not empty (use force to replace it): " + target);
        }
      }
      Path parent = target.getParent();
      Files.createDirectories(parent);
      Path tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".tmp-");
      try {
        Files.createDirectory(tmp.resolve("images"));
        long testSeed = seed + TaskData.TEST_SEED_OFFSET;
        writeSplit(tmp, "train", generate(config, seed, train, "train"), seed, maxFillerWords);
        writeSplit(tmp, "test", generate(config, testSeed, test, "test"), testSeed, maxFillerWords);
        List<String> words = new ArrayList<>(vocabulary(config));
        if (maxFillerWords > 0) {
          words.addAll(FILLER_WORDS); // after the task's words: their ids stay those of the shapes
          // vocabulary
        }
        WordLevelTokenizerWriter.write(tmp.resolve("tokenizer.json"), words);
        writeManifest(
            tmp.resolve("task.json"), config, seed, testSeed, train, test, maxFillerWords);
        if (Files.exists(target)) {
          Path old = Files.createTempDirectory(parent, "." + target.getFileName() + ".old-");
          Files.delete(old);
          Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
          deleteTree(old);
        } else {
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        }
      } catch (IOException | RuntimeException e) {
        deleteTree(tmp);
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write shapes dataset to " + target, e);
    }
  }

  // ------------------------------------------------------------------ generation

  private static ShapesSample sample(ShapesConfig cfg, SplittableRandom rnd, String id) {
    QuestionType type = QuestionType.values()[rnd.nextInt(QuestionType.values().length)];
    ShapeKind[] kinds = ShapeKind.values();
    ShapeColor[] colors = ShapeColor.values();
    int g = cfg.gridSize();
    List<int[]> cells = new ArrayList<>();
    for (int r = 0; r < g; r++) {
      for (int c = 0; c < g; c++) {
        cells.add(new int[] {r, c});
      }
    }
    shuffle(cells, rnd);
    List<Combo> all = new ArrayList<>();
    for (ShapeKind k : kinds) {
      for (ShapeColor c : colors) {
        all.add(new Combo(k, c));
      }
    }
    List<Combo> chosen = new ArrayList<>();
    String question;
    String answer;
    Combo target = null;
    switch (type) {
      case COLOR -> {
        target = new Combo(kinds[rnd.nextInt(kinds.length)], colors[rnd.nextInt(colors.length)]);
        ShapeKind asked = target.kind();
        addDistractors(cfg, rnd, all, c -> c.kind() != asked, target, chosen);
        question = "what color is the " + target.kind().word() + " ?";
        answer = target.color().word();
      }
      case SHAPE -> {
        target = new Combo(kinds[rnd.nextInt(kinds.length)], colors[rnd.nextInt(colors.length)]);
        ShapeColor asked = target.color();
        addDistractors(cfg, rnd, all, c -> c.color() != asked, target, chosen);
        question = "what shape is the " + target.color().word() + " object ?";
        answer = target.kind().word();
      }
      case COUNT -> {
        int n = 1 + rnd.nextInt(cfg.maxShapes());
        shuffle(all, rnd);
        chosen.addAll(all.subList(0, n));
        question = "how many shapes are there ?";
        answer = NUMBERS.get(n - 1);
      }
      case POSITION -> {
        target = new Combo(kinds[rnd.nextInt(kinds.length)], colors[rnd.nextInt(colors.length)]);
        Combo t = target;
        addDistractors(cfg, rnd, all, c -> !c.equals(t), target, chosen);
        question = "where is the " + target.color().word() + " " + target.kind().word() + " ?";
        answer = positionName(g, cells.get(0)[0], cells.get(0)[1]);
      }
      default -> throw new IllegalStateException("unknown question type " + type);
    }
    List<ShapeObject> objects = new ArrayList<>();
    for (int i = 0; i < chosen.size(); i++) {
      objects.add(place(cfg, rnd, chosen.get(i), cells.get(i)[0], cells.get(i)[1]));
    }
    return new ShapesSample(
        id,
        ImageIoLoader.fromBufferedImage(ShapesRenderer.render(cfg, objects)),
        question,
        answer,
        type,
        objects);
  }

  /** Target first (it gets the first shuffled cell), then 0..maxShapes-1 distinct distractors. */
  private static void addDistractors(
      ShapesConfig cfg,
      SplittableRandom rnd,
      List<Combo> all,
      Predicate<Combo> allowed,
      Combo target,
      List<Combo> out) {
    out.add(target);
    List<Combo> pool = new ArrayList<>();
    for (Combo c : all) {
      if (allowed.test(c) && !c.equals(target)) {
        pool.add(c);
      }
    }
    shuffle(pool, rnd);
    int k = Math.min(rnd.nextInt(cfg.maxShapes()), pool.size());
    out.addAll(pool.subList(0, k));
  }

  private static ShapeObject place(
      ShapesConfig cfg, SplittableRandom rnd, Combo c, int row, int col) {
    int n = cfg.imageSize();
    int g = cfg.gridSize();
    int x0 = col * n / g;
    int x1 = (col + 1) * n / g;
    int y0 = row * n / g;
    int y1 = (row + 1) * n / g;
    int avail = Math.min(x1 - x0, y1 - y0) - 2; // 1-pixel margin on each side
    int min = Math.min(avail, Math.max(6, (int) Math.round(0.6 * avail)));
    int size = min + rnd.nextInt(avail - min + 1);
    int x = x0 + 1 + rnd.nextInt(x1 - x0 - 2 - size + 1);
    int y = y0 + 1 + rnd.nextInt(y1 - y0 - 2 - size + 1);
    return new ShapeObject(c.kind(), c.color(), row, col, x, y, size);
  }

  private static <T> void shuffle(List<T> list, SplittableRandom rnd) {
    for (int i = list.size() - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      T t = list.get(i);
      list.set(i, list.get(j));
      list.set(j, t);
    }
  }

  /** A (shape, colour) pair. */
  private record Combo(ShapeKind kind, ShapeColor color) {}

  // ------------------------------------------------------------------ writing

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The question preamble of {@code k} filler words (empty for 0), followed by a space. */
  static String filler(int k) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < k; i++) {
      b.append(FILLER_WORDS.get(i % FILLER_WORDS.size())).append(' ');
    }
    return b.toString();
  }

  private static void writeSplit(
      Path dir, String split, Stream<ShapesSample> samples, long seed, int maxFiller)
      throws IOException {
    SplittableRandom fillers = new SplittableRandom(seed ^ FILLER_SEED_MIX);
    try (BufferedWriter w =
        Files.newBufferedWriter(dir.resolve(split + ".json"), StandardCharsets.UTF_8)) {
      w.write("[");
      boolean[] first = {true};
      for (ShapesSample s : (Iterable<ShapesSample>) samples::iterator) {
        String image = "images/" + s.id() + ".png";
        if (!ImageIO.write(
            ImageIoLoader.toBufferedImage(s.image()), "png", dir.resolve(image).toFile())) {
          throw new IOException("no PNG writer");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("image", image);
        String preamble = maxFiller == 0 ? "" : filler(fillers.nextInt(maxFiller + 1));
        m.put(
            "conversations",
            List.of(turn("human", "<image>\n" + preamble + s.question()), turn("gpt", s.answer())));
        m.put("question_type", s.questionType().key());
        w.write(first[0] ? "\n" : ",\n");
        first[0] = false;
        w.write(JSON.writeValueAsString(m));
      }
      w.write("\n]\n");
    }
  }

  private static Map<String, String> turn(String from, String value) {
    Map<String, String> t = new LinkedHashMap<>();
    t.put("from", from);
    t.put("value", value);
    return t;
  }

  private static void writeManifest(
      Path file, ShapesConfig cfg, long seed, long testSeed, int train, int test, int maxFiller)
      throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("task", "shapes");
    m.put("seed", seed);
    m.put("test_seed", testSeed);
    m.put("max_filler_words", maxFiller);
    m.put("train", train);
    m.put("test", test);
    m.put("image_size", cfg.imageSize());
    m.put("grid_size", cfg.gridSize());
    m.put("max_shapes", cfg.maxShapes());
    m.put("background", String.format("#%06x", cfg.background() & 0xffffff));
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m) + "\n");
  }

  private static boolean isEmptyDir(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
            Files.delete(f);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
