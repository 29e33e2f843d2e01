package org.mmmamba.core.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Tensors that every forward pass needs and that do not depend on the data, made once per device
 * and kept there: scalar constants (eps, 1/sqrt(P), 0, 1, -inf), RoPE cos/sin tables, a position
 * ramp and causal masks. Without it each use rebuilt them: a scalar was a host-to-device copy (on a
 * GPU a blocking copy waits for the device), and the RoPE tables were computed on the host, 2 x L x
 * P cosines and sines per attention layer per forward, then copied to the device
 * (docs/benchmarks.md#op-count).
 *
 * <p>Shapes: {@link #scalar} a 0-d tensor; {@link #ropeTables} two (len, P) tables, rows {@code
 * [start, start + len)} of one cached (capacity, P) table per (device, dtype, base, divisor, P);
 * {@link #positions} the int64 ramp {@code [from, to)}; {@link #causalMask} a boolean (nq, nk)
 * mask.
 *
 * <p>Sharing rules: scalars are returned as the cached array itself (use it as an operand, never
 * close it); tables and ramps are returned as fresh views attached to the caller's manager (the
 * caller owns and may close them; the cached storage stays). Autograd keeps what it saves by
 * reference count, so a cached array replaced by a larger one stays valid in a graph already
 * recorded. Bounded: scalars up to {@value #MAX_SCALARS} distinct values per device (beyond that a
 * fresh uncached tensor is made), one table per key growing by doubling, masks in a bounded LRU.
 * Thread-safe (data parallel replicas on one host share it); every access holds the lock. Never
 * return a cached scalar as the result of a {@link Scopes#keepOnly} block: the enclosing scope
 * would close it.
 */
public final class DeviceConstants {
  /** Distinct scalar constants cached per device. */
  public static final int MAX_SCALARS = 256;

  /** Smallest cached table capacity (positions); grows by doubling. */
  public static final int MIN_CAPACITY = 4096;

  private static final Object LOCK = new Object();
  private static final Map<Device, NDManager> MANAGERS = new HashMap<>();
  private static final Map<Object, NDArray> SCALARS = new HashMap<>();
  private static final Map<Device, Integer> SCALAR_COUNT = new HashMap<>();
  private static final Map<Object, NDArray[]> TABLES = new HashMap<>();

  private record ScalarKey(Device device, DataType dtype, long bits) {}

  private record RopeKey(Device device, DataType dtype, double base, double divisor, int dim) {}

  private record RampKey(Device device) {}

  private record ZeroKey(Device device, DataType dtype) {}

  private record MaskKey(Device device, int firstPos, int nq, int nk) {}

  /** Causal masks kept (least recently used first out). */
  public static final int MAX_MASKS = 128;

  /** Bytes of causal masks kept at most. */
  public static final long MAX_MASK_BYTES = 256L << 20;

  private static final java.util.LinkedHashMap<MaskKey, NDArray> MASKS =
      new java.util.LinkedHashMap<>(16, 0.75f, true);
  private static long maskBytes;

  private DeviceConstants() {}

  /**
   * The 0-d tensor of {@code dtype} holding {@code v} on {@code device}, in torch-owned memory (the
   * tensor DJL's Number overloads make for float64, without their per-call copy). Shared: do not
   * close it.
   */
  public static NDArray scalar(Device device, DataType dtype, double v) {
    synchronized (LOCK) {
      ScalarKey key = new ScalarKey(device, dtype, Double.doubleToLongBits(v));
      NDArray hit = SCALARS.get(key);
      if (hit != null) {
        return hit;
      }
      int n = SCALAR_COUNT.getOrDefault(device, 0);
      if (n >= MAX_SCALARS) {
        return null;
      }
      NDArray made = make(device, () -> new NDList(makeScalar(device, dtype, v))).get(0);
      SCALARS.put(key, made);
      SCALAR_COUNT.put(device, n + 1);
      return made;
    }
  }

  /** The 1-d tensor {@code [0]} of {@code dtype} on {@code device}. Shared: do not close it. */
  public static NDArray zeroVector(Device device, DataType dtype) {
    synchronized (LOCK) {
      ZeroKey key = new ZeroKey(device, dtype);
      NDArray hit = SCALARS.get(key);
      if (hit == null) {
        hit =
            make(device, () -> new NDList(manager(device).zeros(new Shape(1), dtype, device)))
                .get(0);
        SCALARS.put(key, hit);
      }
      return hit;
    }
  }

  /**
   * RoPE cos and sin, rows {@code [start, start + len)} of the table for {@code base}, {@code
   * divisor} and rotary dim {@code dim}, in {@code dtype} on {@code m}'s device, attached to {@code
   * m}. Values bitwise those of {@link Rope#compute}.
   */
  public static NDList ropeTables(
      NDManager m, DataType dtype, double base, double divisor, int dim, int start, int len) {
    Device device = m.getDevice();
    RopeKey key = new RopeKey(device, dtype, base, divisor, dim);
    synchronized (LOCK) {
      NDArray[] t = TABLES.get(key);
      int need = start + len;
      if (t == null || t[0].getShape().get(0) < need) {
        int cap = capacity(need);
        NDList made =
            make(device, () -> Rope.compute(manager(device), dtype, base, divisor, dim, 0, cap));
        if (t != null) {
          t[0].close();
          t[1].close();
        }
        t = new NDArray[] {made.get(0), made.get(1)};
        TABLES.put(key, t);
      }
      return new NDList(view(t[0], start, len, m), view(t[1], start, len, m));
    }
  }

  /**
   * The boolean causal mask (nq, nk) of queries at positions {@code [firstPos, firstPos + nq)}
   * against keys {@code [0, nk)}: true where the key is at or before the query. A view attached to
   * {@code m} (the caller owns it); the masks of one forward are the same for every layer, so all
   * but the first layer take them from here (least recently used out, at most {@value #MAX_MASKS}
   * and {@value #MAX_MASK_BYTES} bytes; an evicted mask stays valid in views already handed out).
   */
  public static NDArray causalMask(NDManager m, int firstPos, int nq, int nk) {
    Device device = m.getDevice();
    MaskKey key = new MaskKey(device, firstPos, nq, nk);
    synchronized (LOCK) {
      NDArray hit = MASKS.get(key);
      if (hit == null) {
        hit =
            make(
                    device,
                    () -> {
                      NDManager own = manager(device);
                      NDArray q = positions(own, firstPos, firstPos + nq).reshape(nq, 1);
                      NDArray k = positions(own, 0, nk).reshape(1, nk);
                      return new NDList(k.lte(q));
                    })
                .get(0);
        MASKS.put(key, hit);
        maskBytes += (long) nq * nk;
        java.util.Iterator<java.util.Map.Entry<MaskKey, NDArray>> it = MASKS.entrySet().iterator();
        while ((MASKS.size() > MAX_MASKS || maskBytes > MAX_MASK_BYTES) && it.hasNext()) {
          java.util.Map.Entry<MaskKey, NDArray> old = it.next();
          if (old.getKey().equals(key)) {
            continue;
          }
          maskBytes -= (long) old.getKey().nq() * old.getKey().nk();
          old.getValue().close();
          it.remove();
        }
      }
      NDArray v = hit.reshape(nq, nk); // a new handle on the cached storage
      v.attach(m);
      return v;
    }
  }

  /** The int64 ramp {@code [from, to)} on {@code m}'s device, attached to {@code m}. */
  public static NDArray positions(NDManager m, int from, int to) {
    Device device = m.getDevice();
    RampKey key = new RampKey(device);
    synchronized (LOCK) {
      NDArray[] t = TABLES.get(key);
      if (t == null || t[0].getShape().get(0) < to) {
        int cap = capacity(to);
        NDArray ramp =
            make(device, () -> new NDList(manager(device).arange(0, cap, 1, DataType.INT64)))
                .get(0);
        if (t != null) {
          t[0].close();
        }
        t = new NDArray[] {ramp};
        TABLES.put(key, t);
      }
      return view(t[0], from, to - from, m);
    }
  }

  /** Cached arrays alive (leak tests subtract them: bounded, not per step). */
  public static int arrayCount() {
    synchronized (LOCK) {
      int n = 0;
      for (NDManager mg : MANAGERS.values()) {
        n += mg.getManagedArrays().size();
      }
      return n;
    }
  }

  /** The cached arrays, one line each (shape, dtype, device): for reports and failing tests. */
  public static String describe() {
    synchronized (LOCK) {
      StringBuilder b = new StringBuilder();
      for (NDManager mg : MANAGERS.values()) {
        for (NDArray a : mg.getManagedArrays()) {
          b.append(a.getShape()).append(' ').append(a.getDataType()).append(' ');
          b.append(a.getDevice()).append('\n');
        }
      }
      return b.toString();
    }
  }

  /** Frees every cached array (no forward pass may run meanwhile). */
  public static void clear() {
    synchronized (LOCK) {
      MANAGERS.values().forEach(NDManager::close);
      MANAGERS.clear();
      SCALARS.clear();
      SCALAR_COUNT.clear();
      TABLES.clear();
      MASKS.clear();
      maskBytes = 0;
    }
  }

  private static NDArray makeScalar(Device device, DataType dtype, double v) {
    try (NDManager tmp = NDManager.newBaseManager(Device.cpu())) {
      NDArray javaBacked = tmp.create(v); // float64 over a Java buffer
      NDArray typed = dtype == DataType.FLOAT64 ? javaBacked : javaBacked.toType(dtype, true);
      // duplicate() is torch's clone(): torch-owned memory, whatever the calls above shared
      NDArray out = typed.toDevice(device, false).duplicate();
      out.attach(manager(device)); // out of tmp, which frees the rest
      return out;
    }
  }

  /**
   * Runs {@code f} in its own NDScope (its temporaries are freed on return) and moves the results
   * to this cache's manager for {@code device}, out of every scope: they outlive the caller's.
   */
  private static NDList make(Device device, Supplier<NDList> f) {
    NDList out;
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      out = f.get();
      NDScope.unregister(out);
    }
    NDManager owner = manager(device);
    for (NDArray a : out) {
      if (a.getManager() != owner) {
        a.attach(owner);
      }
    }
    return out;
  }

  private static NDArray view(NDArray table, int start, int len, NDManager m) {
    NDArray v = table.get("{}:{}", start, start + len);
    v.attach(m);
    return v;
  }

  private static int capacity(int need) {
    int cap = MIN_CAPACITY;
    while (cap < need) {
      cap = Math.multiplyExact(cap, 2);
    }
    return cap;
  }

  private static NDManager manager(Device device) {
    return MANAGERS.computeIfAbsent(device, NDManager::newBaseManager);
  }
}
