package org.mmmamba.distill.data;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.mmmamba.core.text.Role;
import org.mmmamba.distill.eval.AnswerNormalizer;

/**
 * The best a model that cannot see the image could do on a question set: for each distinct question
 * text, always answer the most frequent answer for that text (ties: the alphabetically first
 * answer). A low value shows that answers cannot be guessed from the question text.
 *
 * <p>For a LLaVA-format dataset ({@link #heldOutAccuracy(Path, Path, Path)}) the question is the
 * first human turn without its {@code <image>} placeholder (whitespace collapsed) and the answer
 * the next gpt turn, compared after {@link AnswerNormalizer} as the evaluator does. Both files are
 * streamed; memory is one counter per distinct question text and answer.
 */
public final class TextOnlyBaseline {
  private TextOnlyBaseline() {}

  /**
   * Majority accuracy fitted and measured on the same questions (an upper bound on what text alone
   * gives on that set).
   *
   * @param questions question texts
   * @param answers answers, same length
   * @return the fraction answered correctly, in [0, 1]
   */
  public static double majorityAccuracy(List<String> questions, List<String> answers) {
    return heldOutAccuracy(questions, answers, questions, answers);
  }

  /**
   * Majority answers learned on one set and scored on another; a question text unseen in training
   * gets the overall majority answer.
   *
   * @param trainQuestions training question texts
   * @param trainAnswers training answers
   * @param testQuestions test question texts
   * @param testAnswers test answers
   * @return the fraction of test questions answered correctly
   */
  public static double heldOutAccuracy(
      List<String> trainQuestions,
      List<String> trainAnswers,
      List<String> testQuestions,
      List<String> testAnswers) {
    if (trainQuestions.size() != trainAnswers.size()
        || testQuestions.size() != testAnswers.size()) {
      throw new IllegalArgumentException("questions and answers differ in length");
    }
    if (testQuestions.isEmpty()) {
      return 0;
    }
    Map<String, Map<String, Integer>> counts = new HashMap<>();
    Map<String, Integer> overall = new TreeMap<>();
    for (int i = 0; i < trainQuestions.size(); i++) {
      counts
          .computeIfAbsent(trainQuestions.get(i), k -> new TreeMap<>())
          .merge(trainAnswers.get(i), 1, Integer::sum);
      overall.merge(trainAnswers.get(i), 1, Integer::sum);
    }
    Map<String, String> majority = new HashMap<>();
    counts.forEach((q, c) -> majority.put(q, argMax(c)));
    String fallback = overall.isEmpty() ? "" : argMax(overall);
    int correct = 0;
    for (int i = 0; i < testQuestions.size(); i++) {
      if (majority.getOrDefault(testQuestions.get(i), fallback).equals(testAnswers.get(i))) {
        correct++;
      }
    }
    return (double) correct / testQuestions.size();
  }

  /**
   * Majority answers learned on a LLaVA-format training file and scored on a test file (samples
   * without a question/answer pair are left out, as are broken ones).
   *
   * @param trainFile training JSON/JSONL
   * @param testFile test JSON/JSONL
   * @param imageRoot image directory (null: each file's directory); images are not read
   * @return the fraction of test questions answered correctly (0 for an empty test set)
   */
  public static double heldOutAccuracy(Path trainFile, Path testFile, Path imageRoot) {
    Map<String, Map<String, Integer>> counts = new HashMap<>();
    Map<String, Integer> overall = new TreeMap<>();
    try (LlavaDataset d = open(trainFile, imageRoot)) {
      d.stream()
          .forEach(
              s ->
                  questionAnswer(s)
                      .ifPresent(
                          qa -> {
                            counts
                                .computeIfAbsent(qa[0], k -> new TreeMap<>())
                                .merge(qa[1], 1, Integer::sum);
                            overall.merge(qa[1], 1, Integer::sum);
                          }));
    }
    Map<String, String> majority = new HashMap<>();
    counts.forEach((q, c) -> majority.put(q, argMax(c)));
    String fallback = overall.isEmpty() ? "" : argMax(overall);
    long[] nc = {0, 0};
    try (LlavaDataset d = open(testFile, imageRoot)) {
      d.stream()
          .forEach(
              s ->
                  questionAnswer(s)
                      .ifPresent(
                          qa -> {
                            nc[0]++;
                            nc[1] += majority.getOrDefault(qa[0], fallback).equals(qa[1]) ? 1 : 0;
                          }));
    }
    return nc[0] == 0 ? 0 : (double) nc[1] / nc[0];
  }

  private static LlavaDataset open(Path file, Path imageRoot) {
    return LlavaDataset.open(
        file,
        imageRoot != null ? imageRoot : file.toAbsolutePath().getParent(),
        BrokenSamplePolicy.SKIP);
  }

  /** {question, normalised answer} of the first human turn and the gpt turn after it. */
  static Optional<String[]> questionAnswer(Sample s) {
    List<Conversation> c = s.conversations();
    for (int i = 0; i + 1 < c.size(); i++) {
      if (Role.fromLlava(c.get(i).from()).orElse(null) == Role.USER
          && Role.fromLlava(c.get(i + 1).from()).orElse(null) == Role.ASSISTANT) {
        String q = c.get(i).value().replace("<image>", " ").strip().replaceAll("\\s+", " ");
        return Optional.of(new String[] {q, AnswerNormalizer.normalize(c.get(i + 1).value())});
      }
    }
    return Optional.empty();
  }

  /** Most frequent key; the map is sorted, so ties go to the first key. */
  private static String argMax(Map<String, Integer> c) {
    String best = null;
    int bestN = -1;
    for (Map.Entry<String, Integer> e : c.entrySet()) {
      if (e.getValue() > bestN) {
        best = e.getKey();
        bestN = e.getValue();
      }
    }
    return best;
  }
}
