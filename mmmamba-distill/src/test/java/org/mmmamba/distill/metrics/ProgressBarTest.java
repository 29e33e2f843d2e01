package org.mmmamba.distill.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Hand-computed lines with a fake clock (seconds → nanoseconds). */
class ProgressBarTest {
  static final long S = 1_000_000_000L;
  long now;
  final ByteArrayOutputStream buf = new ByteArrayOutputStream();
  final PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);

  String text() {
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void rendersStepLossLrRateAndEta() {
    ProgressBar p = new ProgressBar("stage1", 1000, out, false, 30 * S, () -> now);
    p.start(0);
    now = 10 * S;
    // 5000 tokens in 10 s = 500 tok/s; 100 of 1000 steps in 10 s -> 900 left take 90 s
    assertEquals(
        "stage1  100/1000  10% [##------------------] loss 0.03123 lr 1.00e-03 500 tok/s ETA 1m30s",
        withTokens(p, 100, 0.031234, 1e-3, 5000));
  }

  private String withTokens(ProgressBar p, long step, double loss, double lr, long tokens) {
    p.update(step, loss, lr, tokens);
    String[] lines = text().split("\n");
    return lines[lines.length - 1];
  }

  @Test
  void plainModePrintsPeriodically() {
    ProgressBar p = new ProgressBar("s", 100, out, false, 30 * S, () -> now);
    p.start(0);
    now = 10 * S;
    p.update(10, 1, 1e-3, 0); // first: printed
    now = 20 * S;
    p.update(20, 1, 1e-3, 0); // 10 s later: throttled
    now = 45 * S;
    p.update(50, 1, 1e-3, 0); // 35 s after the last print: printed
    now = 50 * S;
    p.update(60, 1, 1e-3, 0); // throttled
    p.finish(); // prints the throttled last state once
    String[] lines = text().split("\n");
    assertEquals(3, lines.length, text());
    assertTrue(lines[0].startsWith("s  10/100  10%"), lines[0]);
    assertTrue(lines[1].startsWith("s  50/100  50%"), lines[1]);
    assertTrue(lines[2].startsWith("s  60/100  60%"), lines[2]);
    assertFalse(text().contains("\r"));
  }

  @Test
  void terminalModeRedrawsInPlace() {
    ProgressBar p = new ProgressBar("s", 10, out, true, 0, () -> now);
    p.start(0);
    now = 2 * S;
    p.update(1, 12345.0, 1e-3, 100);
    now = 4 * S;
    p.update(10, 0.5, 1e-3, 100);
    assertFalse(text().contains("\n"));
    assertEquals(2, text().chars().filter(c -> c == '\r').count());
    p.finish();
    assertTrue(text().endsWith("\n"));
    // the second line is shorter ("loss 0.5000" vs "loss 1.234e+04"), so it is padded to wipe the
    // first
    String second = text().substring(text().lastIndexOf('\r') + 1, text().length() - 1);
    String first = text().substring(1, text().lastIndexOf('\r'));
    assertEquals(first.length(), second.length());
    assertTrue(
        second.startsWith(
            "s 10/10 100% [####################] loss 0.5000 lr 1.00e-03 50 tok/s ETA 0s"),
        second);
  }

  @Test
  void resumedRunCountsOnlyItsOwnWork() {
    ProgressBar p = new ProgressBar("s", 1000, out, false, 0, () -> now);
    now = 100 * S;
    p.start(500);
    now = 110 * S;
    p.update(600, 1, 1e-4, 1000);
    assertTrue(text().trim().endsWith("100 tok/s ETA 40s"), text());
  }

  @Test
  void formats() {
    assertEquals("950", ProgressBar.compact(950));
    assertEquals("9.50k", ProgressBar.compact(9500));
    assertEquals("12.3M", ProgressBar.compact(12_345_678));
    assertEquals("42s", ProgressBar.duration(42));
    assertEquals("3m05s", ProgressBar.duration(185));
    assertEquals("1h02m", ProgressBar.duration(3720));
    assertEquals("2d03h", ProgressBar.duration(2 * 86400 + 3 * 3600 + 59));
  }
}
