package org.mmmamba.distill.train;

import ai.djl.ndarray.NDManager;
import org.mmmamba.core.nn.DeviceConstants;

/**
 * Counts the native arrays alive in this JVM: every array attached to any manager below DJL's
 * system manager, which is where every {@code NDManager.newBaseManager()} hangs. Leak tests and
 * soak runs sample it per step; a count that grows with the number of steps is a leak. The device
 * constants cache ({@link DeviceConstants}: scalars, RoPE tables, a position ramp, bounded and made
 * once) is not counted.
 */
public final class LiveArrays {
  private LiveArrays() {}

  /**
   * The number of live arrays in all managers (walks the manager tree; not free on huge models).
   */
  public static int count() {
    try (NDManager probe = NDManager.newBaseManager()) {
      NDManager system = probe.getParentManager();
      return system.getManagedArrays().size() - DeviceConstants.arrayCount();
    }
  }
}
