package org.mmmamba.distill.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.text.ImagePlaceholders;
import org.mmmamba.core.text.Role;

/**
 * A LLaVA-style dataset file read by streaming: either a JSON array of samples or JSON Lines (one
 * sample per line). Each sample looks like {@code {"id": "...", "image": "images/x.png",
 * "conversations": [{"from": "human", "value": "<image>\nq"}, {"from": "gpt", "value": "a"}]}};
 * {@code image} is optional (text-only sample), {@code id} is optional (defaults to {@code
 * #index}), {@code question_type} is optional.
 *
 * <p>Memory: opening the file makes one streaming pass that records each sample's byte offset and
 * line number (12 bytes per sample; 1.7M samples take about 20 MB). Samples are then parsed one at
 * a time from their offset, in any {@link SampleOrder}. The whole dataset is never in memory.
 *
 * <p>Broken samples are detected when read and counted by {@link BrokenReason}; with {@link
 * BrokenSamplePolicy#FAIL} the first one throws a {@link BadInputException} naming the file and
 * line (and the index in a JSON array). A syntax error that breaks the JSON array itself cannot be
 * skipped and always throws when the file is opened. As in InternVL, an image sample without any
 * {@code <image>} placeholder gets {@code "<image>\n"} prepended to its first human turn.
 *
 * <p>Reads are synchronised: one dataset object serves one reader thread at a time.
 */
public final class LlavaDataset implements Closeable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final Path imageRoot;
  private final BrokenSamplePolicy policy;
  private final boolean jsonLines;
  private final long[] offsets;
  private final int[] lines;
  private final StatsCounter counter;
  private FileChannel channel;

  private LlavaDataset(
      Path file,
      Path imageRoot,
      BrokenSamplePolicy policy,
      boolean jsonLines,
      long[] offsets,
      int[] lines,
      StatsCounter counter) {
    this.file = file;
    this.imageRoot = imageRoot;
    this.policy = policy;
    this.jsonLines = jsonLines;
    this.offsets = offsets;
    this.lines = lines;
    this.counter = counter;
  }

  /**
   * Opens a dataset file and indexes it (one streaming pass).
   *
   * @param file a {@code .json} file holding an array, or a JSON Lines file (any extension;
   *     detected from the first non-blank character)
   * @param imageRoot directory that relative {@code image} paths are resolved against
   * @param policy what to do with broken samples
   * @return the dataset; close it when done
   * @throws BadInputException if the file is missing or is a JSON array with a syntax error
   */
  public static LlavaDataset open(Path file, Path imageRoot, BrokenSamplePolicy policy) {
    return open(file, imageRoot, policy, new StatsCounter());
  }

  /**
   * Opens a dataset file, counting into a shared counter (e.g. one used by a {@link
   * SampleEncoder}).
   *
   * @param file the dataset file
   * @param imageRoot directory for relative image paths
   * @param policy what to do with broken samples
   * @param counter where to count
   * @return the dataset
   */
  public static LlavaDataset open(
      Path file, Path imageRoot, BrokenSamplePolicy policy, StatsCounter counter) {
    Objects.requireNonNull(policy, "policy");
    if (!Files.isRegularFile(file)) {
      throw new BadInputException("dataset file not found: " + file);
    }
    try {
      boolean array = firstNonBlank(file) == '[';
      Index index = array ? indexArray(file) : indexLines(file);
      return new LlavaDataset(
          file, imageRoot, policy, !array, index.offsets(), index.lines(), counter);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read dataset " + file, e);
    }
  }

  /**
   * @return the dataset file
   */
  public Path file() {
    return file;
  }

  /**
   * @return number of indexed entries (broken ones included)
   */
  public int size() {
    return offsets.length;
  }

  /**
   * @return the counts so far
   */
  public DatasetStats stats() {
    return counter.snapshot();
  }

  /**
   * @return the counter this dataset counts into
   */
  public StatsCounter counter() {
    return counter;
  }

  /**
   * @return the sequential order over all entries
   */
  public SampleOrder order() {
    return SampleOrder.sequential(size());
  }

  /**
   * Reads the samples in an order, skipping (and counting) broken ones; lazily, one at a time.
   *
   * @param order which entries, in which order
   * @return the samples
   */
  public Stream<Sample> stream(SampleOrder order) {
    return order.stream().mapToObj(this::read).flatMap(Optional::stream);
  }

  /**
   * @return all samples in file order; see {@link #stream(SampleOrder)}
   */
  public Stream<Sample> stream() {
    return stream(order());
  }

  /**
   * Reads every entry once with fresh counts, e.g. to validate a file before training.
   *
   * @param file the dataset file
   * @param imageRoot directory for relative image paths
   * @return the counts
   */
  public static DatasetStats scan(Path file, Path imageRoot) {
    try (LlavaDataset d = open(file, imageRoot, BrokenSamplePolicy.SKIP)) {
      d.stream().forEach(s -> {});
      return d.stats();
    }
  }

  /**
   * Reads one entry.
   *
   * @param index entry index, {@code 0 <= index < size()}
   * @return the sample, or empty if it is broken and the policy is SKIP
   * @throws BadInputException if it is broken and the policy is FAIL
   */
  public synchronized Optional<Sample> read(int index) {
    String where = where(index);
    JsonNode node;
    try {
      node = parseAt(index);
    } catch (JsonProcessingException e) {
      return broken(
          BrokenReason.BAD_JSON, where + ": bad JSON: " + oneLine(e.getOriginalMessage()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + where, e);
    }
    if (node == null || !node.isObject()) {
      return broken(BrokenReason.BAD_JSON, where + ": sample is not a JSON object");
    }
    JsonNode conv = node.get("conversations");
    if (conv == null || !conv.isArray() || conv.isEmpty()) {
      return broken(BrokenReason.MISSING_FIELD, where + ": missing or empty 'conversations'");
    }
    List<Conversation> turns = new ArrayList<>(conv.size());
    for (int i = 0; i < conv.size(); i++) {
      JsonNode t = conv.get(i);
      if (!t.path("from").isTextual() || !t.path("value").isTextual()) {
        return broken(
            BrokenReason.MISSING_FIELD, where + ": conversations[" + i + "] lacks 'from'/'value'");
      }
      if (Role.fromLlava(t.get("from").asText()).isEmpty()) {
        return broken(
            BrokenReason.MISSING_FIELD,
            where + ": conversations[" + i + "].from '" + t.get("from").asText() + "' is unknown");
      }
      turns.add(new Conversation(t.get("from").asText(), t.get("value").asText()));
    }
    JsonNode idNode = node.get("id");
    String id = idNode != null && idNode.isValueNode() ? idNode.asText() : "#" + index;
    Path image = null;
    JsonNode img = node.get("image");
    if (img != null && !img.isNull()) {
      if (!img.isTextual() || img.asText().isEmpty()) {
        return broken(BrokenReason.MISSING_FIELD, where + ": 'image' is not a file name");
      }
      try {
        image = imageRoot.resolve(img.asText()).normalize();
      } catch (java.nio.file.InvalidPathException e) {
        return broken(
            BrokenReason.MISSING_FIELD,
            where + ": 'image' is not a valid path (" + e.getReason() + ")");
      }
      if (!Files.isRegularFile(image)) {
        return broken(BrokenReason.MISSING_IMAGE, where + ": image file not found: " + image);
      }
    }
    String problem = checkTurns(turns, image != null);
    if (problem != null) {
      return broken(BrokenReason.BAD_CONVERSATION, where + ": " + problem);
    }
    if (image != null
        && turns.stream().noneMatch(t -> t.value().contains(ImagePlaceholders.IMAGE))) {
      int first = firstHuman(turns);
      Conversation c = turns.get(first);
      turns.set(first, new Conversation(c.from(), ImagePlaceholders.IMAGE + "\n" + c.value()));
    }
    JsonNode qt = node.get("question_type");
    String questionType = qt != null && qt.isTextual() ? qt.asText() : null;
    counter.ok();
    return Optional.of(new Sample(id, image, turns, questionType, where));
  }

  /** Returns null when the turns are fine, else what is wrong. */
  private static String checkTurns(List<Conversation> turns, boolean hasImage) {
    int start = Role.fromLlava(turns.get(0).from()).orElseThrow() == Role.SYSTEM ? 1 : 0;
    if (start == turns.size()) {
      return "no human turn";
    }
    int placeholders = 0;
    for (int i = start; i < turns.size(); i++) {
      Role want = (i - start) % 2 == 0 ? Role.USER : Role.ASSISTANT;
      Role got = Role.fromLlava(turns.get(i).from()).orElseThrow();
      if (got != want) {
        return "conversations["
            + i
            + "] is "
            + turns.get(i).from()
            + ", expected "
            + (want == Role.USER ? "human" : "gpt");
      }
      placeholders += ImagePlaceholders.count(turns.get(i).value());
    }
    if (placeholders > (hasImage ? 1 : 0)) {
      return placeholders
          + " "
          + ImagePlaceholders.IMAGE
          + " placeholder(s) for "
          + (hasImage ? 1 : 0)
          + " image(s)";
    }
    return null;
  }

  private static int firstHuman(List<Conversation> turns) {
    for (int i = 0; i < turns.size(); i++) {
      if (Role.fromLlava(turns.get(i).from()).orElseThrow() == Role.USER) {
        return i;
      }
    }
    throw new IllegalStateException("checked before");
  }

  private Optional<Sample> broken(BrokenReason reason, String message) {
    if (policy == BrokenSamplePolicy.FAIL) {
      throw new BadInputException(message);
    }
    counter.broken(reason);
    return Optional.empty();
  }

  private String where(int index) {
    return jsonLines
        ? file + " line " + lines[index]
        : file + " sample " + index + " (line " + lines[index] + ")";
  }

  private JsonNode parseAt(int index) throws IOException {
    if (channel == null) {
      channel = FileChannel.open(file, StandardOpenOption.READ);
    }
    channel.position(offsets[index]);
    InputStream in = new BufferedInputStream(Channels.newInputStream(channel), 1 << 16);
    if (jsonLines) {
      ByteArrayOutputStream line = new ByteArrayOutputStream(1024);
      for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
        line.write(b);
      }
      return JSON.readTree(line.toByteArray()); // rejects trailing garbage on the line
    }
    try (JsonParser p = JSON.getFactory().createParser(nonClosing(in))) {
      p.nextToken();
      return JSON.readTree(p);
    }
  }

  private static InputStream nonClosing(InputStream in) {
    return new java.io.FilterInputStream(in) {
      @Override
      public void close() {}
    };
  }

  @Override
  public synchronized void close() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      channel = null;
    }
  }

  // ---------------------------------------------------------------- indexing

  private record Index(long[] offsets, int[] lines) {}

  /** Growable (offset, line) pairs. */
  private static final class IndexBuilder {
    long[] offsets = new long[1024];
    int[] lines = new int[1024];
    int n;

    void add(long offset, int line) {
      if (n == offsets.length) {
        offsets = Arrays.copyOf(offsets, 2 * n);
        lines = Arrays.copyOf(lines, 2 * n);
      }
      offsets[n] = offset;
      lines[n++] = line;
    }

    Index build() {
      return new Index(Arrays.copyOf(offsets, n), Arrays.copyOf(lines, n));
    }
  }

  private static int firstNonBlank(Path file) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      int b = in.read();
      if (b == 0xEF) { // UTF-8 BOM
        in.skip(2);
        b = in.read();
      }
      while (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
        b = in.read();
      }
      return b;
    }
  }

  /** JSON Lines: the offset of every line that is not blank. */
  private static Index indexLines(Path file) throws IOException {
    IndexBuilder ib = new IndexBuilder();
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      long pos = 0;
      long lineStart = 0;
      int line = 1;
      boolean blank = true;
      int n;
      while ((n = in.read(buf)) > 0) {
        for (int i = 0; i < n; i++) {
          byte b = buf[i];
          if (b == '\n') {
            if (!blank) {
              ib.add(lineStart, line);
            }
            line++;
            lineStart = pos + i + 1;
            blank = true;
          } else if (blank && b != ' ' && b != '\t' && b != '\r' && !(pos + i < 3 && isBom(b))) {
            blank = false;
          }
        }
        pos += n;
      }
      if (!blank) {
        ib.add(lineStart, line);
      }
    }
    return ib.build();
  }

  private static boolean isBom(byte b) {
    return b == (byte) 0xEF || b == (byte) 0xBB || b == (byte) 0xBF;
  }

  /** JSON array: the byte offset where each element starts. */
  private static Index indexArray(Path file) throws IOException {
    IndexBuilder ib = new IndexBuilder();
    try (JsonParser p = JSON.getFactory().createParser(Files.newInputStream(file))) {
      try {
        if (p.nextToken() != JsonToken.START_ARRAY) {
          throw new BadInputException(file + ": expected a JSON array");
        }
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
          if (t == null) {
            throw new BadInputException(file + ": JSON array is not closed");
          }
          ib.add(p.currentTokenLocation().getByteOffset(), p.currentTokenLocation().getLineNr());
          p.skipChildren();
        }
        if (p.nextToken() != null) {
          throw new BadInputException(
              file + " line " + p.currentTokenLocation().getLineNr() + ": content after the array");
        }
      } catch (JsonProcessingException e) {
        throw new BadInputException(
            file
                + " line "
                + (e.getLocation() == null ? "?" : e.getLocation().getLineNr())
                + ": broken JSON array (cannot skip): "
                + oneLine(e.getOriginalMessage()),
            e);
      }
    }
    return ib.build();
  }

  private static String oneLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
