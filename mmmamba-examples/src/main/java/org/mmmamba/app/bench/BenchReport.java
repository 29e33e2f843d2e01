package org.mmmamba.app.bench;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one benchmark run produced (what bench.json holds).
 *
 * @param machine where and how it ran ({@link MachineInfo})
 * @param floors the floors used: the better of the two measurements, field by field
 * @param floorsStart floors measured before the points
 * @param floorsEnd floors measured after the points
 * @param config the config that ran
 * @param results one record per model × phase × length
 */
public record BenchReport(
    Map<String, Object> machine,
    HardwareFloors floors,
    HardwareFloors floorsStart,
    HardwareFloors floorsEnd,
    BenchConfig config,
    List<BenchResult> results) {

  /** Defensive copies. */
  public BenchReport {
    machine = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(machine));
    results = List.copyOf(results);
  }

  /** The headline reading (also written to bench.json as "summary"). */
  @com.fasterxml.jackson.annotation.JsonProperty("summary")
  public BenchSummary summary() {
    return BenchSummary.of(this);
  }

  /** The result of one point, if measured. */
  public Optional<BenchResult> find(BenchModel model, Phase phase, int context) {
    return results.stream()
        .filter(r -> r.model() == model && r.phase() == phase && r.context() == context)
        .findFirst();
  }

  /** Results of one model and phase, in increasing context. */
  public List<BenchResult> series(BenchModel model, Phase phase) {
    return results.stream()
        .filter(r -> r.model() == model && r.phase() == phase)
        .sorted(java.util.Comparator.comparingInt(BenchResult::context))
        .toList();
  }
}
