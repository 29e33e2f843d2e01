package org.mmmamba.distill.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import javax.imageio.ImageIO;
import org.mmmamba.core.io.AtomicText;

/**
 * The benchmark's PNG figures, like the paper's Figure 1(c)(d): decode latency and memory against context, and
 * prefill latency and memory against prompt length, one line per model. All plotting goes through the small
 * {@link Chart} builder at the bottom of this file (the same call shape as the project's metrics LinePlot, so
 * the two can be swapped).
 */
final class BenchPlots {
  private BenchPlots() {}

  /** Writes the four PNGs into {@code dir}. */
  static void write(BenchReport r, Path dir) {
    String dims = dimsLabel(r.config());
    chart(r, Phase.DECODE, false, "Next-token decode latency vs context (" + dims + ")", "context (tokens)",
        "latency per token (ms)", true).write(dir.resolve("decode_latency.png"));
    chart(r, Phase.DECODE, true, "Decode peak memory (process RSS) vs context (" + dims + ")", "context (tokens)",
        "peak memory (GiB)", false).write(dir.resolve("decode_memory.png"));
    chart(r, Phase.PREFILL, false, "Prefill latency vs prompt length (" + dims + ")", "prompt length (tokens)",
        "prefill time (ms)", true).write(dir.resolve("prefill_latency.png"));
    chart(r, Phase.PREFILL, true, "Prefill peak memory (process RSS) vs prompt length (" + dims + ")",
        "prompt length (tokens)", "peak memory (GiB)", false).write(dir.resolve("prefill_memory.png"));
  }

  private static Chart chart(BenchReport r, Phase phase, boolean memory, String title, String x, String y,
      boolean logY) {
    Chart.Builder b = Chart.builder().title(title).xLabel(x).yLabel(y).logX(true).logY(logY);
    for (BenchModel m : BenchModel.values()) {
      List<BenchResult> s = r.series(m, phase);
      if (memory) {
        s = s.stream().filter(p -> p.peakBytes() > 0).toList();
      }
      if (s.isEmpty()) {
        continue;
      }
      double[] xs = new double[s.size()];
      double[] ys = new double[s.size()];
      for (int i = 0; i < xs.length; i++) {
        xs[i] = s.get(i).context();
        ys[i] = memory ? s.get(i).peakBytes() / (double) (1L << 30) : s.get(i).latencyMs();
      }
      b.series(m.id(), xs, ys);
    }
    return b.build();
  }

  private static String dimsLabel(BenchConfig c) {
    BenchConfig.Dims d = c.model();
    return "D=" + d.dModel() + ", " + d.layers() + " layers";
  }

  /**
   * A minimal line chart (Java2D, headless): title, axis labels with units, optional log axes, one coloured
   * line with markers per series, legend. Log-x ticks sit at the data's x values (labelled 1K, 128K, ...).
   */
  static final class Chart {
    private static final Color[] COLORS = {new Color(0xD62728), new Color(0x1F77B4), new Color(0x2CA02C),
        new Color(0xFF7F0E), new Color(0x9467BD)};
    private static final int W = 1000;
    private static final int H = 640;
    private static final int LEFT = 100;
    private static final int RIGHT = 40;
    private static final int TOP = 60;
    private static final int BOTTOM = 80;

    private final Builder b;

    private Chart(Builder b) {
      this.b = b;
    }

    static Builder builder() {
      return new Builder();
    }

    /** Renders and writes the PNG atomically. */
    void write(Path file) {
      BufferedImage img = render();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try {
        ImageIO.write(img, "png", bytes);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      AtomicText.writeBytes(file, bytes.toByteArray());
    }

    BufferedImage render() {
      System.setProperty("java.awt.headless", "true");
      BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = img.createGraphics();
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, W, H);
      double[] xr = range(true);
      double[] yr = range(false);
      int pw = W - LEFT - RIGHT;
      int ph = H - TOP - BOTTOM;
      // Title.
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 20));
      centered(g, b.title, LEFT + pw / 2, 36);
      // Grid and ticks.
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
      FontMetrics fm = g.getFontMetrics();
      for (double t : ticks(true, xr)) {
        int px = LEFT + (int) Math.round(frac(t, xr, b.logX) * pw);
        g.setColor(new Color(0xE6E6E6));
        g.drawLine(px, TOP, px, TOP + ph);
        g.setColor(Color.DARK_GRAY);
        g.drawLine(px, TOP + ph, px, TOP + ph + 6);
        centered(g, label(t, true), px, TOP + ph + 8 + fm.getAscent());
      }
      for (double t : ticks(false, yr)) {
        int py = TOP + ph - (int) Math.round(frac(t, yr, b.logY) * ph);
        g.setColor(new Color(0xE6E6E6));
        g.drawLine(LEFT, py, LEFT + pw, py);
        g.setColor(Color.DARK_GRAY);
        g.drawLine(LEFT - 6, py, LEFT, py);
        String s = label(t, false);
        g.drawString(s, LEFT - 10 - fm.stringWidth(s), py + fm.getAscent() / 2 - 1);
      }
      g.setColor(Color.BLACK);
      g.drawRect(LEFT, TOP, pw, ph);
      // Axis labels.
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 17));
      centered(g, b.xLabel + (b.logX ? " (log scale)" : ""), LEFT + pw / 2, H - 22);
      AffineTransform at = g.getTransform();
      g.rotate(-Math.PI / 2);
      centered(g, b.yLabel + (b.logY ? " (log scale)" : ""), -(TOP + ph / 2), 28);
      g.setTransform(at);
      // Series.
      for (int i = 0; i < b.names.size(); i++) {
        g.setColor(COLORS[i % COLORS.length]);
        g.setStroke(new BasicStroke(2.5f));
        Path2D path = new Path2D.Double();
        double[] xs = b.xs.get(i);
        double[] ys = b.ys.get(i);
        for (int k = 0; k < xs.length; k++) {
          double px = LEFT + frac(xs[k], xr, b.logX) * pw;
          double py = TOP + ph - frac(ys[k], yr, b.logY) * ph;
          if (k == 0) {
            path.moveTo(px, py);
          } else {
            path.lineTo(px, py);
          }
          g.fillOval((int) px - 5, (int) py - 5, 10, 10);
        }
        g.draw(path);
      }
      // Legend, top left inside the plot.
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
      fm = g.getFontMetrics();
      int lw = 0;
      for (String n : b.names) {
        lw = Math.max(lw, fm.stringWidth(n));
      }
      int lx = LEFT + 14;
      int ly = TOP + 14;
      int lh = b.names.size() * 24 + 10;
      g.setColor(new Color(255, 255, 255, 230));
      g.fillRect(lx, ly, lw + 56, lh);
      g.setColor(Color.GRAY);
      g.setStroke(new BasicStroke(1f));
      g.drawRect(lx, ly, lw + 56, lh);
      for (int i = 0; i < b.names.size(); i++) {
        int y = ly + 20 + i * 24;
        g.setColor(COLORS[i % COLORS.length]);
        g.setStroke(new BasicStroke(2.5f));
        g.drawLine(lx + 8, y - 5, lx + 38, y - 5);
        g.fillOval(lx + 18, y - 10, 10, 10);
        g.setColor(Color.BLACK);
        g.drawString(b.names.get(i), lx + 46, y);
      }
      g.dispose();
      return img;
    }

    private double[] range(boolean x) {
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      for (double[] v : x ? b.xs : b.ys) {
        for (double d : v) {
          if (Double.isFinite(d) && (!(x ? b.logX : b.logY) || d > 0)) {
            lo = Math.min(lo, d);
            hi = Math.max(hi, d);
          }
        }
      }
      if (!Double.isFinite(lo)) {
        return new double[] {1, 10};
      }
      boolean log = x ? b.logX : b.logY;
      if (log) {
        double pad = x ? 1.15 : 1.4;
        return new double[] {lo / pad, hi * pad};
      }
      double span = hi - lo;
      double base = x ? lo : Math.min(0, lo);
      return new double[] {x ? lo - 0.05 * span : base, hi + 0.1 * Math.max(span, Math.abs(hi)) + 1e-12};
    }

    private static double frac(double v, double[] r, boolean log) {
      return log ? (Math.log(v) - Math.log(r[0])) / (Math.log(r[1]) - Math.log(r[0])) : (v - r[0]) / (r[1] - r[0]);
    }

    private List<Double> ticks(boolean x, double[] r) {
      boolean log = x ? b.logX : b.logY;
      List<Double> out = new ArrayList<>();
      if (log && x) {
        TreeSet<Double> all = new TreeSet<>();
        for (double[] v : b.xs) {
          for (double d : v) {
            all.add(d);
          }
        }
        if (all.size() <= 12) {
          out.addAll(all);
          return out;
        }
      }
      if (log) {
        int e0 = (int) Math.floor(Math.log10(r[0]));
        int e1 = (int) Math.ceil(Math.log10(r[1]));
        double[] mult = e1 - e0 <= 3 ? new double[] {1, 2, 5} : new double[] {1};
        for (int e = e0; e <= e1; e++) {
          for (double m : mult) {
            double t = m * Math.pow(10, e);
            if (t >= r[0] && t <= r[1]) {
              out.add(t);
            }
          }
        }
        return out;
      }
      double step = niceStep((r[1] - r[0]) / 6);
      for (double t = Math.ceil(r[0] / step) * step; t <= r[1] + 1e-9 * step; t += step) {
        out.add(Math.abs(t) < 1e-12 * step ? 0 : t);
      }
      return out;
    }

    private static double niceStep(double raw) {
      double p = Math.pow(10, Math.floor(Math.log10(raw)));
      double f = raw / p;
      return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
    }

    private String label(double v, boolean x) {
      if (x && b.logX && v >= 1024 && v == Math.rint(v)) {
        double k = v / 1024;
        return k == Math.rint(k) ? (long) k + "K" : String.format("%.1fK", k);
      }
      if (v == Math.rint(v) && Math.abs(v) < 1e7) {
        return Long.toString((long) v);
      }
      if (Math.abs(v) >= 0.01) {
        return String.format("%.2f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
      }
      return String.format("%.1e", v);
    }

    private static void centered(Graphics2D g, String s, int cx, int baseline) {
      g.drawString(s, cx - g.getFontMetrics().stringWidth(s) / 2, baseline);
    }

    /** Chart settings and series. */
    static final class Builder {
      private String title = "";
      private String xLabel = "";
      private String yLabel = "";
      private boolean logX;
      private boolean logY;
      private final List<String> names = new ArrayList<>();
      private final List<double[]> xs = new ArrayList<>();
      private final List<double[]> ys = new ArrayList<>();

      Builder title(String t) {
        title = t;
        return this;
      }

      Builder xLabel(String t) {
        xLabel = t;
        return this;
      }

      Builder yLabel(String t) {
        yLabel = t;
        return this;
      }

      Builder logX(boolean v) {
        logX = v;
        return this;
      }

      Builder logY(boolean v) {
        logY = v;
        return this;
      }

      Builder series(String name, double[] x, double[] y) {
        if (x.length != y.length) {
          throw new IllegalArgumentException("series " + name + ": x and y lengths differ");
        }
        names.add(name);
        xs.add(x.clone());
        ys.add(y.clone());
        return this;
      }

      Chart build() {
        return new Chart(this);
      }
    }
  }
}
