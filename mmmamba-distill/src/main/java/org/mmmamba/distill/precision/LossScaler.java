package org.mmmamba.distill.precision;

/**
 * Dynamic loss scaling for float16 training, with torch.amp.GradScaler's update rule: the loss is
 * multiplied by {@link #scale()} before backward and the gradients divided by it; a step whose
 * (unscaled) loss or gradients are not finite is skipped and the scale multiplied by {@code
 * backoff}; after {@code growthInterval} finite steps in a row the scale is multiplied by {@code
 * growth}. Skipped steps are counted, in total and in a row.
 */
public final class LossScaler {
  private final double growth;
  private final double backoff;
  private final int growthInterval;
  private double scale;
  private int goodInARow;
  private int skippedInARow;
  private long skipped;

  /**
   * @param initScale first scale (torch: 65536)
   * @param growth factor after {@code growthInterval} finite steps (torch: 2)
   * @param backoff factor after a non-finite step, in (0, 1) (torch: 0.5)
   * @param growthInterval finite steps between growths (torch: 2000)
   */
  public LossScaler(double initScale, double growth, double backoff, int growthInterval) {
    if (!(initScale > 0) || !(growth > 1) || !(backoff > 0 && backoff < 1) || growthInterval < 1) {
      throw new IllegalArgumentException(
          "bad loss-scaler settings: scale "
              + initScale
              + ", growth "
              + growth
              + ", backoff "
              + backoff
              + ", interval "
              + growthInterval);
    }
    this.scale = initScale;
    this.growth = growth;
    this.backoff = backoff;
    this.growthInterval = growthInterval;
  }

  /** torch.amp.GradScaler's defaults: 2^16, x2 every 2000 finite steps, x0.5 on overflow. */
  public static LossScaler torchDefaults() {
    return new LossScaler(65536.0, 2.0, 0.5, 2000);
  }

  /** The current scale. */
  public double scale() {
    return scale;
  }

  /** Steps skipped so far. */
  public long skipped() {
    return skipped;
  }

  /** Non-finite steps in a row, up to now. */
  public int skippedInARow() {
    return skippedInARow;
  }

  /** Records a step's outcome and updates the scale; returns true when the step may be applied. */
  public boolean update(boolean finite) {
    if (finite) {
      skippedInARow = 0;
      if (++goodInARow == growthInterval) {
        scale *= growth;
        goodInARow = 0;
      }
      return true;
    }
    skipped++;
    skippedInARow++;
    goodInARow = 0;
    scale *= backoff;
    return false;
  }

  /** Restores the state (resume). */
  public void restore(double scale, int goodInARow) {
    if (!(scale > 0) || goodInARow < 0) {
      throw new IllegalArgumentException(
          "bad loss-scaler state: scale " + scale + ", good steps " + goodInARow);
    }
    this.scale = scale;
    this.goodInARow = goodInARow;
  }

  /** Finite steps since the last growth or backoff (checkpointed with the scale). */
  public int goodInARow() {
    return goodInARow;
  }
}
