package org.mmmamba.distill.recipe;

import java.util.Locale;

/**
 * What every stage's training loop needs, typed and validated: built by {@link RunConfig} from a
 * stage's YAML block after {@link RunConfig#validate} accepted it.
 *
 * @param enabled false skips the stage
 * @param steps optimiser steps
 * @param lr peak learning rate
 * @param schedule the schedule kind
 * @param warmup warmup steps
 * @param stable WSD stable steps (null: what is left after warmup and decay)
 * @param decay WSD decay steps (null: 0)
 * @param weightDecay AdamW weight decay
 * @param clip gradient-norm bound
 * @param gradAccum micro-batches per optimiser step
 * @param batchSize the stage's batch size, null for {@code data.batch_size}
 * @param onNonFinite skip or stop on a non-finite loss or gradient norm
 */
public record StageTraining(
    boolean enabled,
    int steps,
    double lr,
    ScheduleKind schedule,
    int warmup,
    Integer stable,
    Integer decay,
    double weightDecay,
    double clip,
    int gradAccum,
    Integer batchSize,
    NonFinitePolicy onNonFinite) {

  /** True when the stage runs at least one step. */
  public boolean trains() {
    return enabled && steps > 0;
  }

  /** From a validated YAML stage block. */
  public static StageTraining of(RunConfig.Stage s) {
    RunConfig.Schedule sc = s.schedule();
    return new StageTraining(
        Boolean.TRUE.equals(s.enabled()),
        s.steps(),
        s.lr(),
        ScheduleKind.valueOf(sc.type().toUpperCase(Locale.ROOT)),
        sc.warmup(),
        sc.stable(),
        sc.decay(),
        s.weightDecay(),
        s.clip(),
        s.gradAccum(),
        s.batchSize(),
        NonFinitePolicy.valueOf(s.onNonFinite().toUpperCase(Locale.ROOT)));
  }
}
