package org.mmmamba.app.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.imageio.ImageIO;
import org.mmmamba.core.io.AtomicText;

/**
 * A line chart as a PNG, drawn with Java2D: title, axis labels (put the unit in them, e.g. "loss (nats)"),
 * ticks with grid lines, a legend, several series, optional log₁₀ x and y axes.
 *
 * <pre>{@code
 * LinePlot.builder().title("Stage 1 loss").xLabel("optimizer step").yLabel("MSE × 1000").logY(true)
 *     .series("layer mean", steps, loss).build().write(runDir.resolve("loss.png"));
 * }</pre>
 *
 * <p>Points that are not finite, or not positive on a log axis, are skipped and break the line there.
 * Series with few points also get markers. Output is deterministic for given inputs on a given machine
 * (same fonts); the file is written atomically. Default size 800 × 500. Headless: no display needed.
 */
public final class LinePlot {
  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /** tab10: distinguishable, and familiar from matplotlib. */
  /** Points sampled along each drawn segment when choosing where the legend goes. */
  private static final int LEGEND_SAMPLES = 16;
  private static final Color[] PALETTE = {
    new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
    new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)
  };
  private static final float[][] DASHES = {null, {8f, 5f}, {2f, 4f}};
  private static final int MARKER_MAX_POINTS = 40;

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final boolean logX;
  private final boolean logY;
  private final int width;
  private final int height;
  private final List<Series> series;

  /** One named line. */
  record Series(String name, double[] x, double[] y) {}

  private LinePlot(Builder b) {
    this.title = b.title;
    this.xLabel = b.xLabel;
    this.yLabel = b.yLabel;
    this.logX = b.logX;
    this.logY = b.logY;
    this.width = b.width;
    this.height = b.height;
    this.series = List.copyOf(b.series);
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder; every field is optional (a plot without series says "no data"). */
  public static final class Builder {
    private String title = "";
    private String xLabel = "";
    private String yLabel = "";
    private boolean logX;
    private boolean logY;
    private int width = 800;
    private int height = 500;
    private final List<Series> series = new ArrayList<>();

    private Builder() {}

    /** The title above the plot. */
    public Builder title(String t) {
      title = Objects.requireNonNull(t);
      return this;
    }

    /** The x-axis label, with its unit. */
    public Builder xLabel(String t) {
      xLabel = Objects.requireNonNull(t);
      return this;
    }

    /** The y-axis label, with its unit. */
    public Builder yLabel(String t) {
      yLabel = Objects.requireNonNull(t);
      return this;
    }

    /** Logarithmic x axis (base 10). */
    public Builder logX(boolean on) {
      logX = on;
      return this;
    }

    /** Logarithmic y axis (base 10). */
    public Builder logY(boolean on) {
      logY = on;
      return this;
    }

    /** Image size in pixels (at least 300 × 200). */
    public Builder size(int w, int h) {
      if (w < 300 || h < 200) {
        throw new IllegalArgumentException("size must be at least 300 x 200, got " + w + " x " + h);
      }
      width = w;
      height = h;
      return this;
    }

    /**
     * Adds a series (arrays copied).
     *
     * @throws IllegalArgumentException if x and y differ in length
     */
    public Builder series(String name, double[] x, double[] y) {
      Objects.requireNonNull(name, "name");
      if (x.length != y.length) {
        throw new IllegalArgumentException(
            "series '" + name + "': x has " + x.length + " points, y has " + y.length);
      }
      series.add(new Series(name, x.clone(), y.clone()));
      return this;
    }

    /** The plot. */
    public LinePlot build() {
      return new LinePlot(this);
    }
  }

  /** Renders and writes the PNG atomically. */
  public void write(Path file) {
    AtomicText.writeBytes(file, toPng());
  }

  /** The PNG bytes. */
  public byte[] toPng() {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    // ImageIO.write(img, fmt, OutputStream) buffers through a temp file in java.io.tmpdir (ImageIO's disk
    // cache); a memory cache keeps the library from writing outside a run's directory.
    javax.imageio.ImageWriter w = ImageIO.getImageWritersByFormatName("png").next();
    try (javax.imageio.stream.ImageOutputStream out = new javax.imageio.stream.MemoryCacheImageOutputStream(bos)) {
      w.setOutput(out);
      w.write(render());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      w.dispose();
    }
    return bos.toByteArray();
  }

  /** Draws the chart. */
  public BufferedImage render() {
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, height);
      draw(g);
    } finally {
      g.dispose();
    }
    return img;
  }

  // ---------------------------------------------------------------------------------------------

  private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 18);
  private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
  private static final Font TICK = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

  private void draw(Graphics2D g) {
    Axis ax = Axis.of(values(true), logX);
    Axis ay = Axis.of(values(false), logY);
    List<String> yTickLabels = new ArrayList<>();
    for (double t : ay.major) {
      yTickLabels.add(ay.format(t));
    }
    g.setFont(TICK);
    FontMetrics tm = g.getFontMetrics();
    int yTickWidth = 0;
    for (String s : yTickLabels) {
      yTickWidth = Math.max(yTickWidth, tm.stringWidth(s));
    }
    int left = 20 + (yLabel.isEmpty() ? 0 : 22) + yTickWidth + 10;
    int right = width - 25;
    int top = title.isEmpty() ? 20 : 50;
    int bottom = height - (xLabel.isEmpty() ? 40 : 60);
    Rectangle2D plot = new Rectangle2D.Double(left, top, right - left, bottom - top);

    // title and axis labels
    g.setColor(Color.BLACK);
    if (!title.isEmpty()) {
      g.setFont(TITLE);
      centered(g, title, width / 2.0, 30);
    }
    g.setFont(LABEL);
    if (!xLabel.isEmpty()) {
      centered(g, xLabel, plot.getCenterX(), height - 15);
    }
    if (!yLabel.isEmpty()) {
      AffineTransform saved = g.getTransform();
      g.rotate(-Math.PI / 2);
      FontMetrics lm = g.getFontMetrics();
      g.drawString(yLabel, (float) (-plot.getCenterY() - lm.stringWidth(yLabel) / 2.0), (float) (20 + lm.getAscent()));
      g.setTransform(saved);
    }

    // grid, ticks and tick labels
    g.setFont(TICK);
    Color grid = new Color(0xe0e0e0);
    Color minorGrid = new Color(0xf0f0f0);
    for (double t : ay.minor) {
      double py = ay.toPixel(t, plot.getMaxY(), plot.getMinY());
      g.setColor(minorGrid);
      g.draw(new Line2D.Double(plot.getMinX(), py, plot.getMaxX(), py));
      g.setColor(Color.DARK_GRAY);
      g.draw(new Line2D.Double(plot.getMinX() - 3, py, plot.getMinX(), py));
    }
    for (double t : ax.minor) {
      double px = ax.toPixel(t, plot.getMinX(), plot.getMaxX());
      g.setColor(minorGrid);
      g.draw(new Line2D.Double(px, plot.getMinY(), px, plot.getMaxY()));
      g.setColor(Color.DARK_GRAY);
      g.draw(new Line2D.Double(px, plot.getMaxY(), px, plot.getMaxY() + 3));
    }
    for (int i = 0; i < ay.major.size(); i++) {
      double py = ay.toPixel(ay.major.get(i), plot.getMaxY(), plot.getMinY());
      g.setColor(grid);
      g.draw(new Line2D.Double(plot.getMinX(), py, plot.getMaxX(), py));
      g.setColor(Color.BLACK);
      g.draw(new Line2D.Double(plot.getMinX() - 6, py, plot.getMinX(), py));
      String s = yTickLabels.get(i);
      g.drawString(s, (float) (plot.getMinX() - 9 - tm.stringWidth(s)), (float) (py + tm.getAscent() / 2.0 - 1));
    }
    for (double t : ax.major) {
      double px = ax.toPixel(t, plot.getMinX(), plot.getMaxX());
      g.setColor(grid);
      g.draw(new Line2D.Double(px, plot.getMinY(), px, plot.getMaxY()));
      g.setColor(Color.BLACK);
      g.draw(new Line2D.Double(px, plot.getMaxY(), px, plot.getMaxY() + 6));
      centered(g, ax.format(t), px, plot.getMaxY() + 8 + tm.getAscent());
    }
    g.setColor(Color.BLACK);
    g.setStroke(new BasicStroke(1f));
    g.draw(plot);

    if (ax.empty || ay.empty) {
      g.setFont(LABEL);
      g.setColor(Color.GRAY);
      centered(g, "no data", plot.getCenterX(), plot.getCenterY());
      return;
    }

    // series, clipped to the plot area
    List<double[]> drawn = new ArrayList<>(); // points along every drawn line, for the legend's placement
    Shape oldClip = g.getClip();
    g.clip(new Rectangle2D.Double(plot.getX() + 0.5, plot.getY() + 0.5, plot.getWidth() - 1, plot.getHeight() - 1));
    for (int i = 0; i < series.size(); i++) {
      Series s = series.get(i);
      g.setColor(PALETTE[i % PALETTE.length]);
      g.setStroke(stroke(i));
      Path2D.Double path = new Path2D.Double();
      boolean penDown = false;
      List<double[]> pts = new ArrayList<>();
      for (int k = 0; k < s.x().length; k++) {
        if (!ax.usable(s.x()[k]) || !ay.usable(s.y()[k])) {
          penDown = false;
          continue;
        }
        double px = ax.toPixel(s.x()[k], plot.getMinX(), plot.getMaxX());
        double py = ay.toPixel(s.y()[k], plot.getMaxY(), plot.getMinY());
        if (penDown) {
          double[] prev = pts.get(pts.size() - 1);
          for (int t = 1; t <= LEGEND_SAMPLES; t++) {
            double f = t / (double) LEGEND_SAMPLES;
            drawn.add(new double[] {prev[0] + f * (px - prev[0]), prev[1] + f * (py - prev[1])});
          }
          path.lineTo(px, py);
        } else {
          drawn.add(new double[] {px, py});
          path.moveTo(px, py);
          penDown = true;
        }
        pts.add(new double[] {px, py});
      }
      g.draw(path);
      if (s.x().length <= MARKER_MAX_POINTS) {
        g.setStroke(new BasicStroke(1.5f));
        for (double[] p : pts) {
          g.fill(new Ellipse2D.Double(p[0] - 3, p[1] - 3, 6, 6));
        }
      }
    }
    g.setClip(oldClip);
    drawLegend(g, plot, drawn);
  }

  /** The legend goes in the plot corner that hides the fewest drawn points (top right on ties). */
  private void drawLegend(Graphics2D g, Rectangle2D plot, List<double[]> drawn) {
    if (series.isEmpty()) {
      return;
    }
    g.setFont(TICK);
    FontMetrics fm = g.getFontMetrics();
    int lineLen = 28;
    int rowH = fm.getHeight() + 2;
    int textW = 0;
    for (Series s : series) {
      textW = Math.max(textW, fm.stringWidth(s.name()));
    }
    double w = 10 + lineLen + 8 + textW + 10;
    double h = 8 + rowH * series.size() + 4;
    double[] at = legendCorner(plot, w, h, drawn);
    double x0 = at[0];
    double y0 = at[1];
    g.setStroke(new BasicStroke(1f));
    g.setColor(new Color(255, 255, 255, 230));
    g.fill(new Rectangle2D.Double(x0, y0, w, h));
    g.setColor(new Color(0xb0b0b0));
    g.draw(new Rectangle2D.Double(x0, y0, w, h));
    for (int i = 0; i < series.size(); i++) {
      double cy = y0 + 8 + rowH * i + rowH / 2.0;
      g.setColor(PALETTE[i % PALETTE.length]);
      g.setStroke(stroke(i));
      g.draw(new Line2D.Double(x0 + 10, cy, x0 + 10 + lineLen, cy));
      if (series.get(i).x().length <= MARKER_MAX_POINTS) {
        g.fill(new Ellipse2D.Double(x0 + 10 + lineLen / 2.0 - 3, cy - 3, 6, 6));
      }
      g.setColor(Color.BLACK);
      g.drawString(series.get(i).name(), (float) (x0 + 10 + lineLen + 8), (float) (cy + fm.getAscent() / 2.0 - 1));
    }
  }

  /**
   * Top-left position of a w × h legend: the corner of {@code plot} (top right, top left, bottom right, bottom
   * left, in that order of preference) whose box covers the fewest of the {@code drawn} points.
   */
  static double[] legendCorner(Rectangle2D plot, double w, double h, List<double[]> drawn) {
    double[][] corners = {
        {plot.getMaxX() - w - 10, plot.getMinY() + 10}, {plot.getMinX() + 10, plot.getMinY() + 10},
        {plot.getMaxX() - w - 10, plot.getMaxY() - h - 10}, {plot.getMinX() + 10, plot.getMaxY() - h - 10}};
    double[] best = corners[0];
    long fewest = Long.MAX_VALUE;
    for (double[] c : corners) {
      Rectangle2D box = new Rectangle2D.Double(c[0] - 4, c[1] - 4, w + 8, h + 8);
      long hidden = drawn.stream().filter(p -> box.contains(p[0], p[1])).count();
      if (hidden < fewest) {
        fewest = hidden;
        best = c;
      }
    }
    return best;
  }

  private static BasicStroke stroke(int i) {
    float[] dash = DASHES[(i / PALETTE.length) % DASHES.length];
    return dash == null
        ? new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND)
        : new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, dash, 0f);
  }

  private static void centered(Graphics2D g, String s, double cx, double baseline) {
    g.drawString(s, (float) (cx - g.getFontMetrics().stringWidth(s) / 2.0), (float) baseline);
  }

  private List<Double> values(boolean x) {
    List<Double> v = new ArrayList<>();
    boolean log = x ? logX : logY;
    for (Series s : series) {
      double[] a = x ? s.x() : s.y();
      double[] other = x ? s.y() : s.x();
      boolean otherLog = x ? logY : logX;
      for (int i = 0; i < a.length; i++) {
        // only points that will be drawn count for the range
        if (Axis.usable(a[i], log) && Axis.usable(other[i], otherLog)) {
          v.add(a[i]);
        }
      }
    }
    return v;
  }

  /** An axis: data range, tick positions and value-to-pixel mapping. Package-visible for tests. */
  static final class Axis {
    final boolean log;
    final boolean empty;
    final double lo;
    final double hi;
    final List<Double> major = new ArrayList<>();
    final List<Double> minor = new ArrayList<>();
    private final int decimals;
    /** Log axis: write every tick as 1eK when any decade is outside 1e-3..1e4 (one style per axis). */
    private boolean exponents;

    private Axis(boolean log, boolean empty, double lo, double hi, int decimals) {
      this.log = log;
      this.empty = empty;
      this.lo = lo;
      this.hi = hi;
      this.decimals = decimals;
    }

    static boolean usable(double v, boolean log) {
      return Double.isFinite(v) && (!log || v > 0);
    }

    boolean usable(double v) {
      return usable(v, log);
    }

    /** Axis over the given values (those already usable). */
    static Axis of(List<Double> values, boolean log) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (double v : values) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      if (values.isEmpty()) {
        Axis a = log ? new Axis(true, true, 1, 10, 0) : new Axis(false, true, 0, 1, 1);
        a.major.addAll(log ? List.of(1.0, 10.0) : List.of(0.0, 0.5, 1.0));
        return a;
      }
      return log ? logAxis(min, max) : linearAxis(min, max);
    }

    /** Nice 1-2-5 steps, about 5-8 ticks, bounds rounded out to whole steps. */
    static Axis linearAxis(double min, double max) {
      if (max == min) {
        double pad = min == 0 ? 1 : Math.abs(min) * 0.1;
        min -= pad;
        max += pad;
      }
      double step = niceStep((max - min) / 6);
      double lo = Math.floor(min / step) * step;
      double hi = Math.ceil(max / step) * step;
      int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
      Axis a = new Axis(false, false, lo, hi, decimals);
      long n = Math.round((hi - lo) / step);
      for (long i = 0; i <= n; i++) {
        double t = lo + i * step;
        a.major.add(Math.abs(t) < step * 1e-9 ? 0.0 : t);
      }
      return a;
    }

    /** Decades as major ticks (every k-th if many), 2..9 × 10^k as minor ticks when few decades. */
    static Axis logAxis(double min, double max) {
      int e0 = (int) Math.floor(Math.log10(min) + 1e-12);
      int e1 = (int) Math.ceil(Math.log10(max) - 1e-12);
      if (e1 == e0) {
        e1 = e0 + 1;
      }
      Axis a = new Axis(true, false, Math.pow(10, e0), Math.pow(10, e1), 0);
      int every = Math.max(1, (int) Math.ceil((e1 - e0) / 8.0));
      for (int e = e0; e <= e1; e++) {
        if ((e - e0) % every == 0) {
          a.major.add(Math.pow(10, e));
        }
        if (e1 - e0 <= 6 && e < e1) {
          for (int k = 2; k <= 9; k++) {
            a.minor.add(k * Math.pow(10, e));
          }
        }
      }
      a.exponents = e0 < -3 || e1 > 4;
      return a;
    }

    static double niceStep(double raw) {
      double mag = Math.pow(10, Math.floor(Math.log10(raw)));
      double f = raw / mag;
      double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
      return nice * mag;
    }

    double toPixel(double v, double p0, double p1) {
      double f = log
          ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
          : (v - lo) / (hi - lo);
      return p0 + f * (p1 - p0);
    }

    /** Tick text: plain decimals for moderate values, 1e-5 style otherwise. */
    String format(double v) {
      double abs = Math.abs(v);
      if (v == 0) {
        return "0";
      }
      if (log) {
        int e = (int) Math.round(Math.log10(abs));
        if (!exponents) {
          return e >= 0 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%." + (-e) + "f", v);
        }
        return "1e" + e;
      }
      if (abs >= 1e6 || decimals > 5) {
        String s = String.format(Locale.ROOT, "%.3g", v);
        return s.replaceAll("\\.?0+e", "e").replace("e+0", "e").replace("e-0", "e-").replace("e+", "e");
      }
      return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
  }
}
