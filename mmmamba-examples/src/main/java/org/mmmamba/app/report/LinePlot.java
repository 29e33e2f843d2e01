package org.mmmamba.app.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.mmmamba.core.io.AtomicText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A line chart as a PNG, drawn by JFreeChart: title, axis labels (put the unit in them, e.g. "loss
 * (nats)"), grid lines, a legend, several series, optional log₁₀ x and y axes.
 *
 * <pre>{@code
 * LinePlot.builder().title("Stage 1 loss").xLabel("optimizer step").yLabel("MSE × 1000").logY(true)
 *     .series("layer mean", steps, loss).build().writeIfPossible(runDir.resolve("loss.png"));
 * }</pre>
 *
 * <p>Points that are not finite, or not positive on a log axis, are skipped and break the line
 * there. Series with few points also get markers. Output is deterministic for given inputs on a
 * given machine (same fonts); the file is written atomically. Default size 800 × 500. Headless: no
 * display needed.
 *
 * <p>A machine without fonts (a bare GPU box) cannot draw text: Java2D fails in its font manager on
 * the first string. {@link #writeIfPossible} then skips the picture with a one-line warning, so a
 * run's report never fails for a plot.
 */
public final class LinePlot {
  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(LinePlot.class);

  /** tab10: distinguishable, and familiar from matplotlib. */
  private static final Color[] PALETTE = {
    new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
        new Color(0x9467bd),
    new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22),
        new Color(0x17becf)
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
    title = b.title;
    xLabel = b.xLabel;
    yLabel = b.yLabel;
    logX = b.logX;
    logY = b.logY;
    width = b.width;
    height = b.height;
    series = List.copyOf(b.series);
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link LinePlot}. */
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

  /**
   * Renders and writes the PNG atomically (fails where Java2D cannot draw text; see {@link
   * #writeIfPossible}).
   */
  public void write(Path file) {
    AtomicText.writeBytes(file, toPng());
  }

  /**
   * Renders and writes the PNG atomically, or, on a machine where Java2D cannot draw (no fonts, no
   * AWT libraries), writes nothing and logs one warning.
   *
   * @return whether the file was written
   */
  public boolean writeIfPossible(Path file) {
    return writeIfPossible(file, () -> write(file));
  }

  /** Runs {@code render}; an AWT/font failure becomes one warning naming {@code file}. */
  static boolean writeIfPossible(Path file, Runnable render) {
    try {
      render.run();
      return true;
    } catch (UncheckedIOException e) {
      throw e;
    } catch (RuntimeException | LinkageError | InternalError e) {
      LOG.warn(
          "{}: plot skipped, this machine cannot draw text ({}: {})",
          file.getFileName(),
          e.getClass().getSimpleName(),
          firstLine(String.valueOf(e.getMessage())));
      return false;
    } catch (Error e) {
      if (e instanceof VirtualMachineError) {
        throw e;
      }
      // java.awt's font manager throws a bare Error ("Probable fatal error: No fonts found") on a
      // font-less machine.
      LOG.warn(
          "{}: plot skipped, this machine cannot draw text ({}: {})",
          file.getFileName(),
          e.getClass().getSimpleName(),
          firstLine(String.valueOf(e.getMessage())));
      return false;
    }
  }

  private static String firstLine(String s) {
    int i = s.indexOf('\n');
    return i < 0 ? s : s.substring(0, i);
  }

  /** The PNG bytes. */
  public byte[] toPng() {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    // ImageIO.write(img, fmt, OutputStream) buffers through a temp file in java.io.tmpdir
    // (ImageIO's disk
    // cache); a memory cache keeps the library from writing outside a run's directory.
    javax.imageio.ImageWriter w = ImageIO.getImageWritersByFormatName("png").next();
    try (javax.imageio.stream.ImageOutputStream out =
        new javax.imageio.stream.MemoryCacheImageOutputStream(bos)) {
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
    return chart().createBufferedImage(width, height, BufferedImage.TYPE_INT_RGB, null);
  }

  /** The JFreeChart chart. */
  JFreeChart chart() {
    XYSeriesCollection data = new XYSeriesCollection();
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
    for (int i = 0; i < series.size(); i++) {
      Series s = series.get(i);
      XYSeries xy = new XYSeries(s.name(), false, true);
      int drawn = 0;
      for (int k = 0; k < s.x().length; k++) {
        boolean ok =
            Double.isFinite(s.x()[k])
                && Double.isFinite(s.y()[k])
                && (!logX || s.x()[k] > 0)
                && (!logY || s.y()[k] > 0);
        // A point that cannot be drawn breaks the line there (the renderer does not join across a
        // gap).
        if (ok) {
          xy.add(s.x()[k], s.y()[k]);
          drawn++;
        } else if (Double.isFinite(s.x()[k]) && (!logX || s.x()[k] > 0)) {
          xy.add(s.x()[k], null);
        }
      }
      data.addSeries(xy);
      r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
      float[] dash = DASHES[(i / PALETTE.length) % DASHES.length];
      r.setSeriesStroke(
          i,
          dash == null
              ? new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND)
              : new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, dash, 0f));
      boolean markers = drawn <= MARKER_MAX_POINTS;
      r.setSeriesShapesVisible(i, markers);
      r.setSeriesShape(i, new Ellipse2D.Double(-3.5, -3.5, 7, 7));
    }
    XYPlot plot = new XYPlot(data, axis(xLabel, logX), axis(yLabel, logY), r);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xdddddd));
    plot.setRangeGridlinePaint(new Color(0xdddddd));
    plot.setOutlinePaint(Color.GRAY);
    JFreeChart chart = new JFreeChart(null, JFreeChart.DEFAULT_TITLE_FONT, plot, !series.isEmpty());
    chart.setTitle(new TextTitle(title, new Font(Font.SANS_SERIF, Font.BOLD, 18)));
    chart.setBackgroundPaint(Color.WHITE);
    chart.setAntiAlias(true);
    if (chart.getLegend() != null) {
      chart.getLegend().setBackgroundPaint(Color.WHITE);
    }
    return chart;
  }

  private static ValueAxis axis(String label, boolean log) {
    if (log) {
      LogAxis a = new LogAxis(label);
      a.setBase(10);
      a.setSmallestValue(1e-12);
      // Ticks at whole decades, labelled with their values (1000, not 10^3.0).
      a.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
      a.setNumberFormatOverride(
          new java.text.DecimalFormat(
              "0.######", java.text.DecimalFormatSymbols.getInstance(java.util.Locale.ROOT)));
      return a;
    }
    NumberAxis a = new NumberAxis(label);
    a.setAutoRangeIncludesZero(false);
    return a;
  }
}
