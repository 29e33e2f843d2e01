package org.mmmamba.distill.data;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The best a model that cannot see the image could do on a question set: for each distinct question
 * text, always answer the most frequent answer for that text (ties: the alphabetically first answer).
 * A low value shows that answers cannot be guessed from the question text.
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
    if (trainQuestions.size() != trainAnswers.size() || testQuestions.size() != testAnswers.size()) {
      throw new IllegalArgumentException("questions and answers differ in length");
    }
    if (testQuestions.isEmpty()) {
      return 0;
    }
    Map<String, Map<String, Integer>> counts = new HashMap<>();
    Map<String, Integer> overall = new TreeMap<>();
    for (int i = 0; i < trainQuestions.size(); i++) {
      counts.computeIfAbsent(trainQuestions.get(i), k -> new TreeMap<>())
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
