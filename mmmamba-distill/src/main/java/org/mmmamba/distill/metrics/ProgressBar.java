package org.mmmamba.distill.metrics;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line training progress display on the console.
 *
 * <pre>
 * stage1  1200/20000   6% [#-------------------] loss 0.03121 lr 1.00e-03 5.23k tok/s ETA 1h02m
 * </pre>
 *
 * <p>On a terminal the line is redrawn in place with a carriage return, at most every {@code
 * redrawNanos}; otherwise (a log file, CI) a plain line is printed at most every {@code
 * periodNanos}, plus the first and the last. Rates count only the work done since {@link #start},
 * so a resumed run shows its real speed; ETA = remaining steps × elapsed / steps done. The clock is
 * injectable for tests.
 */
public final class ProgressBar {
  private static final int WIDTH = 20;

  private final String label;
  private final long total;
  private final PrintStream out;
  private final boolean interactive;
  private final long periodNanos;
  private final LongSupplier clock;

  private long startStep;
  private long startNanos;
  private long tokens;
  private long lastPrint = Long.MIN_VALUE;
  private int lastLength;
  private String lastLine = "";
  private boolean pending;

  /**
   * @param label shown first (a stage name)
   * @param total the step count at 100%, > 0
   * @param out where to draw (stderr for {@link #console})
   * @param interactive redraw in place (terminal) rather than print lines
   * @param periodNanos minimum time between outputs (redraws or lines)
   * @param clock nanosecond clock ({@code System::nanoTime})
   */
  public ProgressBar(
      String label,
      long total,
      PrintStream out,
      boolean interactive,
      long periodNanos,
      LongSupplier clock) {
    if (total <= 0) {
      throw new IllegalArgumentException("total must be > 0, got " + total);
    }
    this.label = label;
    this.total = total;
    this.out = out;
    this.interactive = interactive;
    this.periodNanos = periodNanos;
    this.clock = clock;
    this.startNanos = clock.getAsLong();
  }

  /**
   * A bar on stderr: redrawn every 0.2 s on a terminal, a line every {@code plainPeriodSeconds}
   * otherwise.
   */
  public static ProgressBar console(String label, long total, double plainPeriodSeconds) {
    boolean tty = stderrIsTerminal();
    long period = (long) ((tty ? 0.2 : plainPeriodSeconds) * 1e9);
    return new ProgressBar(label, total, System.err, tty, period, System::nanoTime);
  }

  /**
   * Whether stderr is a terminal: on Linux, fd 2 links to a tty or pty device; elsewhere, whether
   * the JVM has a console at all (the best plain Java can tell).
   */
  public static boolean stderrIsTerminal() {
    Path fd2 = Path.of("/proc/self/fd/2");
    try {
      if (Files.isSymbolicLink(fd2)) {
        String target = Files.readSymbolicLink(fd2).toString();
        return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
      }
    } catch (IOException | SecurityException | UnsupportedOperationException e) {
      // fall through
    }
    return System.console() != null;
  }

  /** Marks where this session starts (the resumed step), resetting the rate clock. */
  public void start(long step) {
    startStep = step;
    startNanos = clock.getAsLong();
    tokens = 0;
    lastPrint = Long.MIN_VALUE;
  }

  /**
   * Records a completed step and redraws if it is time.
   *
   * @param step steps completed so far (1 after the first step)
   * @param loss the latest loss
   * @param lr the latest learning rate
   * @param stepTokens tokens processed by this step (for tokens/s)
   */
  public void update(long step, double loss, double lr, long stepTokens) {
    tokens += stepTokens;
    long now = clock.getAsLong();
    boolean due = lastPrint == Long.MIN_VALUE || now - lastPrint >= periodNanos || step >= total;
    lastLine = render(step, loss, lr, now);
    pending = !due;
    if (due) {
      emit(lastLine);
      lastPrint = now;
    }
  }

  /** Prints the latest line if it was throttled, and ends the line on a terminal. */
  public void finish() {
    if (pending) {
      emit(lastLine);
    }
    if (interactive && lastLength > 0) {
      out.print('\n');
      out.flush();
    }
    pending = false;
    lastLength = 0;
  }

  /** The text of the line for a state at time {@code now} (package-visible for tests). */
  String render(long step, double loss, double lr, long now) {
    double frac = Math.min(1.0, Math.max(0.0, (double) step / total));
    int filled = (int) Math.floor(frac * WIDTH);
    StringBuilder bar = new StringBuilder(WIDTH);
    for (int i = 0; i < WIDTH; i++) {
      bar.append(i < filled ? '#' : '-');
    }
    double elapsed = (now - startNanos) / 1e9;
    long done = step - startStep;
    String rate = elapsed > 0 && done > 0 ? compact(tokens / elapsed) + " tok/s" : "- tok/s";
    String eta =
        elapsed > 0 && done > 0 ? duration(Math.max(0, total - step) * elapsed / done) : "-";
    int digits = Long.toString(total).length();
    return String.format(
        Locale.ROOT,
        "%s %" + digits + "d/%d %3d%% [%s] loss %.4g lr %.2e %s ETA %s",
        label,
        step,
        total,
        (int) Math.floor(frac * 100),
        bar,
        loss,
        lr,
        rate,
        eta);
  }

  private void emit(String line) {
    if (interactive) {
      int pad = Math.max(0, lastLength - line.length());
      out.print('\r' + line + " ".repeat(pad));
      lastLength = line.length();
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** 950, 9.50k, 12.3M. */
  static String compact(double v) {
    if (v < 1000) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (v < 1e6) {
      return String.format(Locale.ROOT, "%.3gk", v / 1e3);
    }
    if (v < 1e9) {
      return String.format(Locale.ROOT, "%.3gM", v / 1e6);
    }
    return String.format(Locale.ROOT, "%.3gG", v / 1e9);
  }

  /** 42s, 3m05s, 1h02m, 2d03h. */
  static String duration(double seconds) {
    long s = Math.round(seconds);
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    if (s < 86400) {
      return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
    return String.format(Locale.ROOT, "%dd%02dh", s / 86400, (s % 86400) / 3600);
  }
}
