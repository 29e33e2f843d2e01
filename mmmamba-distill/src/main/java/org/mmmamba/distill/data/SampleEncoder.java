package org.mmmamba.distill.data;

import java.util.Objects;
import java.util.Optional;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.text.Encoded;
import org.mmmamba.core.text.PromptBuilder;
import org.mmmamba.core.vision.ImagePreprocessor;
import org.mmmamba.core.vision.PreprocessedImage;

/**
 * Turns a {@link Sample} into an {@link EncodedSample}: loads and tiles the image, renders the chat
 * template, tokenises, and applies the {@code maxTokens} length filter (after tokenisation, image
 * tokens included; the reference skips samples over 8192 tokens).
 *
 * <p>Counting: a sample the dataset counted as ok is moved to {@link BrokenReason#UNREADABLE_IMAGE}
 * or {@link BrokenReason#BAD_CONVERSATION} when it fails here (or, with {@link
 * BrokenSamplePolicy#FAIL}, the failure is thrown), and to the too-long count when it is filtered
 * (never an error).
 */
public final class SampleEncoder {
  private final PromptBuilder prompts;
  private final ImagePreprocessor images;
  private final int maxTokens;
  private final BrokenSamplePolicy policy;
  private final StatsCounter counter;

  /**
   * Creates an encoder.
   *
   * @param prompts template + tokenizer
   * @param images image preprocessing
   * @param maxTokens longest allowed sequence; longer samples are filtered out
   * @param policy what to do with samples that fail here
   * @param counter the counter the samples' dataset counts into
   */
  public SampleEncoder(
      PromptBuilder prompts,
      ImagePreprocessor images,
      int maxTokens,
      BrokenSamplePolicy policy,
      StatsCounter counter) {
    this.prompts = Objects.requireNonNull(prompts, "prompts");
    this.images = Objects.requireNonNull(images, "images");
    if (maxTokens < 1) {
      throw new IllegalArgumentException("maxTokens must be positive: " + maxTokens);
    }
    this.maxTokens = maxTokens;
    this.policy = Objects.requireNonNull(policy, "policy");
    this.counter = Objects.requireNonNull(counter, "counter");
  }

  /**
   * Encodes one sample.
   *
   * @param sample a sample that its dataset counted as ok
   * @return the encoding, or empty if it was filtered or (policy SKIP) failed
   * @throws BadInputException if it failed and the policy is FAIL
   */
  public Optional<EncodedSample> encode(Sample sample) {
    PreprocessedImage img = null;
    if (sample.hasImage()) {
      try {
        img = images.preprocess(sample.image());
      } catch (BadInputException e) {
        return fail(BrokenReason.UNREADABLE_IMAGE, sample.origin() + ": " + e.getMessage());
      }
    }
    Encoded enc;
    try {
      enc = prompts.encode(sample.messages(), img == null ? 0 : img.numTiles());
    } catch (BadInputException e) {
      return fail(BrokenReason.BAD_CONVERSATION, sample.origin() + ": " + e.getMessage());
    }
    if (enc.length() > maxTokens) {
      counter.okToTooLong();
      return Optional.empty();
    }
    return Optional.of(new EncodedSample(sample.id(), enc, img, sample.questionType()));
  }

  private Optional<EncodedSample> fail(BrokenReason reason, String message) {
    if (policy == BrokenSamplePolicy.FAIL) {
      throw new BadInputException(message);
    }
    counter.okToBroken(reason);
    return Optional.empty();
  }
}
