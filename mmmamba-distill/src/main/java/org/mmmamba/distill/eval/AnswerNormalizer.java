package org.mmmamba.distill.eval;

import java.util.Locale;

/**
 * The usual VQA-style answer normalisation before exact match: lower case, trim, strip surrounding
 * punctuation and a trailing period, collapse inner whitespace, drop the articles "a", "an", "the".
 */
public final class AnswerNormalizer {
  private AnswerNormalizer() {}

  /** Normalised form of {@code s}. */
  public static String normalize(String s) {
    if (s == null) {
      return "";
    }
    String t = s.toLowerCase(Locale.ROOT).trim();
    t = t.replaceAll("[\\p{Punct}&&[^-]]", " ");
    t = t.replaceAll("\\b(a|an|the)\\b", " ");
    return t.replaceAll("\\s+", " ").trim();
  }
}
