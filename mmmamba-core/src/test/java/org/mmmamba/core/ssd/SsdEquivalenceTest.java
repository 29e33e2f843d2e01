package org.mmmamba.core.ssd;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmmamba.core.ssd.SsdFixtures.maxAbsDiff;

import ai.djl.ndarray.NDManager;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.mmmamba.core.Offline;
import org.mmmamba.core.ssd.SsdFixtures.Inputs;

/** The fast forms of the scan equal the recurrence on random shapes and inputs (float64). */
class SsdEquivalenceTest {
  static {
    Offline.init();
  }

  private static final double TOL = 1e-10;

  @Property(tries = 50)
  void chunkedScanEqualsRecurrentScan(
      @ForAll @IntRange(min = 1, max = 2) int batch,
      @ForAll @IntRange(min = 1, max = 3) int heads,
      @ForAll @IntRange(min = 1, max = 5) int headDim,
      @ForAll @IntRange(min = 1, max = 5) int stateDim,
      @ForAll @IntRange(min = 1, max = 40) int length,
      @ForAll @IntRange(min = 1, max = 16) int chunkSize,
      @ForAll boolean withInitialState,
      @ForAll long seed) {
    Statistics.label("chunk vs length")
        .collect(
            chunkSize > length ? "chunk > L" : length % chunkSize == 0 ? "multiple" : "ragged");
    Statistics.label("initial state").collect(withInitialState);
    long chunks = (length + Math.min(chunkSize, length) - 1) / Math.min(chunkSize, length);
    Statistics.label("state passing").collect(Ssd.closedForm(chunks) ? "closed form" : "loop");
    try (NDManager m = NDManager.newBaseManager()) {
      Inputs in =
          SsdFixtures.random(m, seed, batch, length, heads, headDim, stateDim, withInitialState);
      ScanResult fast =
          Ssd.chunkedScan(in.x(), in.dt(), in.A(), in.B(), in.C(), chunkSize, in.s0());
      ScanResult slow = Ssd.recurrentScan(in.x(), in.dt(), in.A(), in.B(), in.C(), in.s0());
      double dy = maxAbsDiff(fast.y(), slow.y());
      double ds = maxAbsDiff(fast.finalState(), slow.finalState());
      assertTrue(dy <= TOL, "y differs by " + dy);
      assertTrue(ds <= TOL, "final state differs by " + ds);
    }
    Statistics.label("chunk vs length")
        .coverage(
            c -> {
              c.check("ragged").percentage(pct -> pct > 20);
              c.check("chunk > L").percentage(pct -> pct > 5);
            });
  }

  @Property(tries = 30)
  void quadraticFormEqualsRecurrentScan(
      @ForAll @IntRange(min = 1, max = 2) int batch,
      @ForAll @IntRange(min = 1, max = 3) int heads,
      @ForAll @IntRange(min = 1, max = 5) int headDim,
      @ForAll @IntRange(min = 1, max = 5) int stateDim,
      @ForAll @IntRange(min = 1, max = 40) int length,
      @ForAll long seed) {
    try (NDManager m = NDManager.newBaseManager()) {
      Inputs in = SsdFixtures.random(m, seed, batch, length, heads, headDim, stateDim, false);
      double dy =
          maxAbsDiff(
              Ssd.quadraticForm(in.x(), in.dt(), in.A(), in.B(), in.C()),
              Ssd.recurrentScan(in.x(), in.dt(), in.A(), in.B(), in.C(), null).y());
      assertTrue(dy <= TOL, "y differs by " + dy);
    }
  }

  /** Both state passings at every chunk count (the scan above picks by count: mostly the loop). */
  @Property(tries = 30)
  void bothStatePassingsEqualTheRecurrenceAtAnyChunkCount(
      @ForAll @IntRange(min = 1, max = 30) int length,
      @ForAll @IntRange(min = 1, max = 4) int chunkSize,
      @ForAll boolean withInitialState,
      @ForAll boolean closed,
      @ForAll long seed) {
    try (NDManager m = NDManager.newBaseManager()) {
      Inputs in = SsdFixtures.random(m, seed, 2, length, 2, 3, 4, withInitialState);
      ScanResult slow = Ssd.recurrentScan(in.x(), in.dt(), in.A(), in.B(), in.C(), in.s0());
      Ssd.forceClosedForm = closed;
      ScanResult fast;
      try {
        fast = Ssd.chunkedScan(in.x(), in.dt(), in.A(), in.B(), in.C(), chunkSize, in.s0());
      } finally {
        Ssd.forceClosedForm = null;
      }
      double dy = maxAbsDiff(fast.y(), slow.y());
      double ds = maxAbsDiff(fast.finalState(), slow.finalState());
      assertTrue(dy <= TOL, (closed ? "closed form" : "loop") + ": y differs by " + dy);
      assertTrue(ds <= TOL, (closed ? "closed form" : "loop") + ": final state differs by " + ds);
    }
  }
}
