package org.mmmamba.distill.data;

/** What to do with a sample that cannot be used (bad JSON, missing fields, missing image, ...). */
public enum BrokenSamplePolicy {
  /** Count it by reason and go on. */
  SKIP,
  /** Stop with a {@link org.mmmamba.core.BadInputException} naming the file and line or index. */
  FAIL
}
