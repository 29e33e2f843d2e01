package org.mmmamba.app.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Optional;

/**
 * The headline reading of a run, at the largest decode context (128K by default): how flat the
 * linear student's decode latency is, its speed-up and memory reduction against the teacher, and
 * whether the hybrid sits between them. Null where a model or point is missing.
 *
 * @param context the largest decode context
 * @param linearDecodeSpread (max - min) / min of the linear student's decode latency over all
 *     contexts
 * @param speedupLinear teacher / linear decode latency at {@code context}
 * @param speedupHybrid teacher / hybrid decode latency at {@code context}
 * @param peakReductionLinear 1 - linear / teacher peak RSS at {@code context}
 * @param peakReductionHybrid 1 - hybrid / teacher peak RSS at {@code context}
 * @param engineReductionLinear 1 - linear / teacher engine-side bytes (weights + cache) at {@code
 *     context}
 * @param engineReductionHybrid 1 - hybrid / teacher engine-side bytes at {@code context}
 * @param hybridBetweenLatency linear {@literal <=} hybrid {@literal <=} teacher decode latency at
 *     {@code context}
 * @param hybridBetweenMemory linear {@literal <=} hybrid {@literal <=} teacher peak RSS at {@code
 *     context}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BenchSummary(
    int context,
    Double linearDecodeSpread,
    Double speedupLinear,
    Double speedupHybrid,
    Double peakReductionLinear,
    Double peakReductionHybrid,
    Double engineReductionLinear,
    Double engineReductionHybrid,
    Boolean hybridBetweenLatency,
    Boolean hybridBetweenMemory) {

  /** Computes the summary of a report. */
  public static BenchSummary of(BenchReport r) {
    int ctx = r.config().decode().contexts().stream().mapToInt(Integer::intValue).max().orElse(0);
    Optional<BenchResult> t = r.find(BenchModel.TEACHER, Phase.DECODE, ctx);
    Optional<BenchResult> l = r.find(BenchModel.LINEAR, Phase.DECODE, ctx);
    Optional<BenchResult> h = r.find(BenchModel.HYBRID, Phase.DECODE, ctx);
    Double spread = null;
    List<BenchResult> lin = r.series(BenchModel.LINEAR, Phase.DECODE);
    if (!lin.isEmpty()) {
      double lo = lin.stream().mapToDouble(BenchResult::latencyMs).min().orElseThrow();
      double hi = lin.stream().mapToDouble(BenchResult::latencyMs).max().orElseThrow();
      spread = (hi - lo) / lo;
    }
    Boolean betweenLat = null;
    Boolean betweenMem = null;
    if (t.isPresent() && l.isPresent() && h.isPresent()) {
      betweenLat =
          l.get().latencyMs() <= h.get().latencyMs() && h.get().latencyMs() <= t.get().latencyMs();
      betweenMem =
          l.get().peakBytes() <= h.get().peakBytes() && h.get().peakBytes() <= t.get().peakBytes();
    }
    return new BenchSummary(
        ctx,
        spread,
        ratio(t, l, BenchResult::latencyMs),
        ratio(t, h, BenchResult::latencyMs),
        reduction(t, l, x -> (double) x.peakBytes()),
        reduction(t, h, x -> (double) x.peakBytes()),
        reduction(t, l, BenchSummary::engineBytes),
        reduction(t, h, BenchSummary::engineBytes),
        betweenLat,
        betweenMem);
  }

  /** Weights + cache bytes held by the engine. */
  static double engineBytes(BenchResult x) {
    return (double) x.weightsBytes() + x.cacheBytes();
  }

  private static Double ratio(
      Optional<BenchResult> num,
      Optional<BenchResult> den,
      java.util.function.ToDoubleFunction<BenchResult> f) {
    if (num.isEmpty() || den.isEmpty()) {
      return null;
    }
    return f.applyAsDouble(num.get()) / f.applyAsDouble(den.get());
  }

  private static Double reduction(
      Optional<BenchResult> base,
      Optional<BenchResult> other,
      java.util.function.ToDoubleFunction<BenchResult> f) {
    if (base.isEmpty()
        || other.isEmpty()
        || f.applyAsDouble(base.get()) <= 0
        || f.applyAsDouble(other.get()) < 0) {
      return null;
    }
    return 1 - f.applyAsDouble(other.get()) / f.applyAsDouble(base.get());
  }
}
