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
 * @param results one record per model × phase × length (× precision)
 * @param floorsByPrecision each pass's floors (the better of its start and end), by precision
 */
public record BenchReport(
    Map<String, Object> machine,
    HardwareFloors floors,
    HardwareFloors floorsStart,
    HardwareFloors floorsEnd,
    BenchConfig config,
    List<BenchResult> results,
    Map<String, HardwareFloors> floorsByPrecision) {

  /** Defensive copies. */
  public BenchReport {
    machine = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(machine));
    results = List.copyOf(results);
    floorsByPrecision =
        java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(floorsByPrecision));
  }

  /** The headline reading, over the primary precision (also written to bench.json as "summary"). */
  @com.fasterxml.jackson.annotation.JsonProperty("summary")
  public BenchSummary summary() {
    return BenchSummary.of(only(primaryPrecision()));
  }

  /**
   * The precision of the headline: the first of {@code inference_precision}, else of {@code
   * precision}.
   */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public String primaryPrecision() {
    return config.inferencePrecision().isEmpty()
        ? config.precision().get(0)
        : config.inferencePrecision().get(0);
  }

  /** This report restricted to one precision's records (and that pass's floors). */
  public BenchReport only(String precision) {
    HardwareFloors f = floorsByPrecision.getOrDefault(precision, floors);
    return new BenchReport(
        machine,
        f,
        floorsStart,
        floorsEnd,
        config,
        results.stream()
            .filter(r -> r.precision() == null || r.precision().equals(precision))
            .toList(),
        floorsByPrecision);
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
