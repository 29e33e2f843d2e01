package org.mmmamba.distill.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.mmmamba.core.generate.GenerationConfig;
import org.mmmamba.core.generate.Generator;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.text.Tokenizer;
import org.mmmamba.distill.data.Batch;
import org.mmmamba.distill.data.Collator;
import org.mmmamba.distill.data.EncodedSample;
import org.mmmamba.distill.data.ModelInputs;

/**
 * Greedy question answering with exact match, agreement with a teacher, teacher-forced KL and
 * answer perplexity, per question type. Samples are full conversations (question + reference
 * answer); the prompt is everything before the first answer token.
 */
public final class Evaluator {
  private final Tokenizer tokenizer;
  private final long stopId;
  private final int maxNewTokens;
  private final int batchSize;
  private final Collator collator;

  /**
   * @param stopId token that ends an answer (the chat template's stop token)
   * @param padId padding id for teacher-forced batches
   */
  public Evaluator(Tokenizer tokenizer, long stopId, long padId, int maxNewTokens, int batchSize) {
    this.tokenizer = tokenizer;
    this.stopId = stopId;
    this.maxNewTokens = maxNewTokens;
    this.batchSize = batchSize;
    this.collator = new Collator(padId);
  }

  /** Greedy answers (decoded text, not normalised) for every sample, in order. */
  public Answers answer(VisionLanguageModel model, List<EncodedSample> samples) {
    String[] out = new String[samples.size()];
    // Equal-length prompts batch together: the generator takes rows of one length.
    Map<Integer, List<Integer>> byLen = new TreeMap<>();
    for (int i = 0; i < samples.size(); i++) {
      byLen.computeIfAbsent(promptLength(samples.get(i)), k -> new ArrayList<>()).add(i);
    }
    long tokens = 0;
    long t0 = System.nanoTime();
    NDManager root = model.decoder().weights().manager().getParentManager();
    DataType dt = model.decoder().dtype();
    GenerationConfig g = GenerationConfig.greedy(maxNewTokens).withStopTokens(Set.of((int) stopId));
    for (List<Integer> group : byLen.values()) {
      for (int s = 0; s < group.size(); s += batchSize) {
        List<Integer> idx = group.subList(s, Math.min(group.size(), s + batchSize));
        List<EncodedSample> prompts = new ArrayList<>();
        for (int i : idx) {
          prompts.add(promptOnly(samples.get(i)));
        }
        Batch b = collator.collate(prompts);
        long[][] rows = new long[idx.size()][];
        for (int r = 0; r < rows.length; r++) {
          rows[r] = Arrays.copyOfRange(b.inputIds(), r * b.seqLen(), (r + 1) * b.seqLen());
        }
        try (NDManager m = root.newSubManager();
            NDScope scope = new NDScope()) {
          NDArray embeds = model.inputEmbeds(ModelInputs.ids(m, b), ModelInputs.pixels(m, b, dt));
          long[][] seqs = Generator.generate(model.decoder(), embeds, rows, g, m);
          for (int r = 0; r < rows.length; r++) {
            long[] gen = Arrays.copyOfRange(seqs[r], rows[r].length, seqs[r].length);
            tokens += gen.length;
            out[idx.get(r)] = decodeAnswer(gen);
          }
        }
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    return new Answers(List.of(out), tokens / Math.max(secs, 1e-9));
  }

  /** Answers and the generation speed. */
  public record Answers(List<String> texts, double tokensPerSecond) {}

  /** Full evaluation of {@code model}; {@code teacherAnswers}/{@code teacher} may be null. */
  public EvalReport evaluate(
      String name,
      VisionLanguageModel model,
      List<EncodedSample> samples,
      VisionLanguageModel teacher,
      Answers teacherAnswers) {
    Answers answers = answer(model, samples);
    int correct = 0;
    int agree = 0;
    Map<String, int[]> types = new LinkedHashMap<>();
    for (int i = 0; i < samples.size(); i++) {
      String got = AnswerNormalizer.normalize(answers.texts().get(i));
      String want = AnswerNormalizer.normalize(referenceAnswer(samples.get(i)));
      boolean ok = got.equals(want);
      correct += ok ? 1 : 0;
      if (teacherAnswers != null) {
        agree += got.equals(AnswerNormalizer.normalize(teacherAnswers.texts().get(i))) ? 1 : 0;
      }
      String type = samples.get(i).questionType() == null ? "all" : samples.get(i).questionType();
      int[] c = types.computeIfAbsent(type, k -> new int[2]);
      c[0]++;
      c[1] += ok ? 1 : 0;
    }
    double[] klNll = teacherForced(model, teacher, samples);
    Map<String, EvalReport.TypeScore> byType = new LinkedHashMap<>();
    types.forEach(
        (k, c) ->
            byType.put(k, new EvalReport.TypeScore(c[0], c[0] == 0 ? 0 : (double) c[1] / c[0])));
    int n = samples.size();
    return new EvalReport(
        name,
        n,
        n == 0 ? 0 : (double) correct / n,
        teacherAnswers == null ? null : (double) agree / Math.max(1, n),
        teacher == null ? null : klNll[0],
        Math.exp(klNll[1]),
        byType,
        answers.tokensPerSecond());
  }

  /**
   * {mean KL(teacher || model) per answer token (NaN without teacher), mean NLL of reference answer
   * tokens}.
   */
  double[] teacherForced(
      VisionLanguageModel model, VisionLanguageModel teacher, List<EncodedSample> samples) {
    NDManager root = model.decoder().weights().manager().getParentManager();
    DataType dt = model.decoder().dtype();
    double kl = 0;
    double nll = 0;
    double count = 0;
    for (int s = 0; s < samples.size(); s += batchSize) {
      Batch b = collator.collate(samples.subList(s, Math.min(samples.size(), s + batchSize)));
      try (NDManager m = root.newSubManager();
          NDScope scope = new NDScope()) {
        NDArray ids = ModelInputs.ids(m, b);
        List<NDArray> px = ModelInputs.pixels(m, b, dt);
        NDArray mask = ModelInputs.answerPredictionMask(m, b, dt);
        NDArray logp = model.forward(ids, px).logSoftmax(-1);
        // next-token targets: ids shifted left; the last position has no target (mask is 0 there)
        long l = b.seqLen();
        NDArray next = ModelInputs.nextIds(ids).expandDims(-1);
        NDArray tokNll = logp.gather(next, -1).squeeze(-1).neg();
        nll += tokNll.mul(mask).sum().toType(DataType.FLOAT64, false).getDouble();
        count += mask.sum().toType(DataType.FLOAT64, false).getDouble();
        if (teacher != null) {
          NDArray logq = teacher.forward(ids, px).logSoftmax(-1);
          NDArray perPos = logq.exp().mul(logq.sub(logp)).sum(new int[] {-1});
          kl += perPos.mul(mask).sum().toType(DataType.FLOAT64, false).getDouble();
        }
        if (l == 0) {
          break;
        }
      }
    }
    return new double[] {
      teacher == null ? Double.NaN : kl / Math.max(count, 1), nll / Math.max(count, 1)
    };
  }

  /** Index of the first answer token (the prompt length). */
  static int promptLength(EncodedSample s) {
    boolean[] mask = s.encoded().labelMask();
    for (int t = 0; t < mask.length; t++) {
      if (mask[t]) {
        return t;
      }
    }
    return mask.length;
  }

  /** The sample cut before its first answer. */
  static EncodedSample promptOnly(EncodedSample s) {
    int p = promptLength(s);
    var e = s.encoded();
    return new EncodedSample(
        s.id(),
        new org.mmmamba.core.text.Encoded(
            Arrays.copyOf(e.inputIds(), p), new boolean[p], e.imageContextPositions()),
        s.image(),
        s.questionType());
  }

  /** Reference answer text: the first answer's tokens, up to the stop token. */
  String referenceAnswer(EncodedSample s) {
    long[] ids = s.encoded().inputIds();
    boolean[] mask = s.encoded().labelMask();
    List<Long> ans = new ArrayList<>();
    int t = promptLength(s);
    while (t < ids.length && mask[t] && ids[t] != stopId) {
      ans.add(ids[t++]);
    }
    return tokenizer.decode(ans.stream().mapToLong(Long::longValue).toArray());
  }

  private String decodeAnswer(long[] gen) {
    int end = 0;
    while (end < gen.length && gen[end] != stopId) {
      end++;
    }
    return tokenizer.decode(Arrays.copyOf(gen, end));
  }
}
