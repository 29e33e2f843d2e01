package org.mmmamba.core.text;

import java.util.OptionalLong;

/**
 * Text to token ids and back. Implementations never add special tokens, truncate or pad on their
 * own: the {@link PromptBuilder} places every special token explicitly.
 */
public interface Tokenizer extends AutoCloseable {

  /**
   * Encodes text as it is (no BOS/EOS added, no truncation, no padding).
   *
   * @param text any text; special tokens written in it (e.g. {@code <|im_end|>}) map to their ids
   * @return the token ids
   */
  long[] encode(String text);

  /**
   * Decodes ids back to text, keeping special tokens.
   *
   * @param ids token ids
   * @return the text
   */
  String decode(long[] ids);

  /**
   * @return the number of ids, i.e. one more than the largest id (added tokens included)
   */
  int vocabSize();

  /**
   * Looks up the id of one token as written in the vocabulary (added tokens included).
   *
   * @param token the token string, e.g. {@code <IMG_CONTEXT>}
   * @return its id, or empty when the vocabulary lacks it
   */
  OptionalLong tokenId(String token);

  /**
   * @return the beginning-of-sequence id, if the tokenizer has one
   */
  OptionalLong bosId();

  /**
   * @return the end-of-sequence id, if the tokenizer has one
   */
  OptionalLong eosId();

  /**
   * @return the padding id, if the tokenizer has one
   */
  OptionalLong padId();

  /** Frees native resources, if any. */
  @Override
  default void close() {}
}
