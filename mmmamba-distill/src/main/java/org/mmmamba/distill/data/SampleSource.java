package org.mmmamba.distill.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mmmamba.core.text.ChatMessage;
import org.mmmamba.core.text.PromptBuilder;
import org.mmmamba.core.text.Role;
import org.mmmamba.core.vision.ImagePreprocessor;

/**
 * Random access to encoded samples: a LLaVA file on disk (read by offset, never held in memory) or
 * the built-in synthetic shapes task (generated deterministically and kept in memory: it is small
 * by design).
 */
public interface SampleSource extends AutoCloseable {
  /** Number of samples (before filtering). */
  int size();

  /** Sample {@code i}, or empty when it was filtered or skipped as broken. */
  Optional<EncodedSample> get(int i);

  /** Counts of ok / broken / filtered samples so far. */
  DatasetStats stats();

  /** What the samples come from, for messages (a file, or "builtin:shapes"). */
  default String name() {
    return "dataset";
  }

  @Override
  default void close() {}

  /** A LLaVA-format dataset encoded on demand. */
  static SampleSource llava(LlavaDataset ds, SampleEncoder encoder) {
    return new SampleSource() {
      @Override
      public int size() {
        return ds.size();
      }

      @Override
      public Optional<EncodedSample> get(int i) {
        return ds.read(i).flatMap(encoder::encode);
      }

      @Override
      public DatasetStats stats() {
        return ds.stats();
      }

      @Override
      public String name() {
        return ds.file().toString();
      }

      @Override
      public void close() {
        ds.close();
      }
    };
  }

  /**
   * The synthetic shapes task: {@code n} samples from {@code seed}, encoded with the given prompt
   * builder.
   */
  static SampleSource shapes(
      ShapesConfig cfg,
      long seed,
      int n,
      String idPrefix,
      PromptBuilder prompts,
      ImagePreprocessor images) {
    List<EncodedSample> all = new ArrayList<>(n);
    ShapesTask.generate(cfg, seed, n, idPrefix)
        .forEach(
            s -> {
              var img = images.preprocess(s.image());
              List<ChatMessage> msgs =
                  List.of(
                      new ChatMessage(Role.USER, "<image>\n" + s.question()),
                      new ChatMessage(Role.ASSISTANT, s.answer()));
              all.add(
                  new EncodedSample(
                      s.id(), prompts.encode(msgs, img.numTiles()), img, s.questionType().name()));
            });
    StatsCounter counter = new StatsCounter();
    for (int i = 0; i < n; i++) {
      counter.ok();
    }
    return new SampleSource() {
      @Override
      public int size() {
        return n;
      }

      @Override
      public Optional<EncodedSample> get(int i) {
        return Optional.of(all.get(i));
      }

      @Override
      public DatasetStats stats() {
        return counter.snapshot();
      }

      @Override
      public String name() {
        return TaskData.BUILTIN_SHAPES;
      }
    };
  }
}
