package org.mmmamba.distill.data;

/** Why a sample was unusable; {@link DatasetStats} counts samples per reason. */
public enum BrokenReason {
  /** The JSON of the sample (a JSONL line, or an array element) could not be parsed. */
  BAD_JSON,
  /** A required field is missing or has the wrong type (e.g. no {@code conversations}). */
  MISSING_FIELD,
  /** The {@code image} file does not exist under the image root. */
  MISSING_IMAGE,
  /** The image file exists but cannot be decoded. */
  UNREADABLE_IMAGE,
  /**
   * The turns do not alternate human/gpt, or {@code <image>} placeholders do not match the images.
   */
  BAD_CONVERSATION
}
