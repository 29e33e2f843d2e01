package org.mmmamba.core.ssd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import org.mmmamba.core.nn.DeviceConstants;

/**
 * Mamba-2 SSD (state space duality) math: parameter-free functions on DJL {@code NDArray}s.
 *
 * <p>Shape glossary: B batch, L length, H heads, P head dim, N state dim, Q chunk length. Inputs:
 *
 * <ul>
 *   <li>{@code x} (B, L, H, P): the values (mmMamba: v, GQA-expanded);
 *   <li>{@code dt} (B, L, H): the step sizes, already positive (softplus and bias applied by the
 *       caller);
 *   <li>{@code A} (H): one negative real per head;
 *   <li>{@code B} (B, L, H, N): the input projections (mmMamba: k, GQA-expanded);
 *   <li>{@code C} (B, L, H, N): the output projections (mmMamba: q);
 *   <li>{@code initialState} (B, H, P, N), nullable (= zeros).
 * </ul>
 *
 * <p>The definition, per batch row and head, with S a P×N matrix:
 *
 * <pre>
 *   S_t = exp(dt_t·A) S_{t-1} + dt_t · x_t ⊗ B_t
 *   y_t = S_t C_t
 * </pre>
 *
 * There is no D skip term (the caller adds it) and no GQA / n_groups expansion (the caller expands
 * B, C and x to H heads first).
 *
 * <p>All tensors must share one floating dtype (any: tests run FLOAT64, models FLOAT32) and one
 * device; {@link SsdShapes} checks this and throws {@link IllegalArgumentException} naming the bad
 * tensor. Every function is autograd-friendly (no in-place op touches an input) except {@link
 * #stepInPlace}. Returned arrays are attached to the manager of {@code x} (whatever manager the
 * other inputs live in) and, when the caller has an {@link NDScope} open, registered in it; every
 * intermediate array is closed before returning (autograd keeps its own references, so this is safe
 * inside a {@code GradientCollector}).
 */
public final class Ssd {
  private Ssd() {}

  /**
   * From this many chunks on, {@link #chunkedScan} passes states between chunks in closed form (one
   * (c+1, c+1) decay matrix), below it in a loop of 2 ops per chunk. Both are exact; the loop's op
   * count grows with the chunk count, the closed form's does not (docs/benchmarks.md#op-count: at 4
   * chunks the loop takes fewer ops, at 16 the closed form).
   */
  public static final int CLOSED_FORM_MIN_CHUNKS = 8;

  /** Package-private for tests: forces the state passing (null: by chunk count). */
  static volatile Boolean forceClosedForm = null;

  static boolean closedForm(long chunks) {
    Boolean f = forceClosedForm;
    return f != null ? f : chunks >= CLOSED_FORM_MIN_CHUNKS;
  }

  /**
   * The chunked (training / prefill) form of the scan, after mamba_ssm's {@code
   * ssd_minimal_discrete}.
   *
   * <p>The sequence is cut into {@code c = ceil(L / Q)} chunks of {@code Q = min(chunkSize, L)}
   * tokens. With {@code a_t = dt_t·A}, {@code X_t = dt_t·x_t} and {@code s_i} the cumulative sum of
   * {@code a} inside a chunk:
   *
   * <ol>
   *   <li>intra-chunk (diagonal blocks): {@code y_i = Σ_{j≤i} exp(s_i - s_j) (C_i·B_j) X_j}, the
   *       exponent masked to -inf above the diagonal <em>before</em> {@code exp} (no inf·0);
   *   <li>chunk states: {@code S^loc_k = Σ_j exp(s_last - s_j) X_j ⊗ B_j};
   *   <li>inter-chunk recurrence (a Java loop, 2 ops per chunk): {@code S_k = exp(s_last) S_{k-1} +
   *       S^loc_k}, starting from the initial state;
   *   <li>off-diagonal: {@code y_i += exp(s_i) S_{k-1} C_i} with {@code S_{k-1}} the state entering
   *       the chunk.
   * </ol>
   *
   * <p>A length that is not a multiple of Q is padded at the end with {@code a = 0} (dt = 0) and
   * {@code X = 0}, which leaves the state unchanged; the padded rows of y are dropped.
   *
   * <p>Memory: the largest temporaries are three (B, H, c, Q, Q) tensors (the decay mask, C·Bᵀ and
   * their product) and two (B, H, c, P, N) tensors (chunk states and entering states), so memory is
   * O(B·H·L·(Q + P·N/Q)), that is O(B·H·L·Q) for the usual Q ≈ P ≈ N. No L×L tensor is ever built.
   * Compute is O(B·H·L·Q·(N + P) + B·H·L·P·N). Native calls: a fixed number, independent of the
   * chunk count c and of B, H, P and N (the inter-chunk recurrence is one (c+1, c+1) decay matrix,
   * O(B·H·c²) memory, c = L/Q is at most a few hundred).
   *
   * <p>Numerics: decays are formed as {@code exp(s_i - s_j)} from in-chunk cumulative sums (as the
   * mamba_ssm kernels do), so every exponent is ≤ 0 when A ≤ 0; A is not checked (that would need a
   * host read).
   *
   * @param x (B, L, H, P)
   * @param dt (B, L, H), positive
   * @param A (H), negative
   * @param B (B, L, H, N)
   * @param C (B, L, H, N)
   * @param chunkSize Q, at least 1; values above L are clamped to L
   * @param initialState (B, H, P, N) or null for zeros
   * @return y (B, L, H, P) and the final state (B, H, P, N), attached to x's manager
   * @throws IllegalArgumentException on a bad shape, dtype, device or chunk size
   */
  public static ScanResult chunkedScan(
      NDArray x, NDArray dt, NDArray A, NDArray B, NDArray C, int chunkSize, NDArray initialState) {
    SsdShapes.Dims d = SsdShapes.checkScan(x, dt, A, B, C, initialState);
    if (chunkSize < 1) {
      throw new IllegalArgumentException("SSD chunkSize must be at least 1, got " + chunkSize);
    }
    final long b = d.batch();
    final long len = d.length();
    final long h = d.heads();
    final long p = d.headDim();
    final long n = d.stateDim();
    final long q = Math.min(chunkSize, len);
    final long nc = (len + q - 1) / q;
    final long padded = nc * q;
    final long pad = padded - len;
    NDManager owner = x.getManager();

    NDArray y;
    NDArray finalState;
    try (NDScope scope = new NDScope()) {
      NDArray a = dt.mul(A); // (B, L, H)      a_t = dt_t A
      NDArray xdt = x.mul(dt.expandDims(-1)); // (B, L, H, P)   X_t = dt_t x_t
      NDArray bIn = B;
      NDArray cIn = C;
      if (pad > 0) {
        // Pad the length axis at the end. torch's pad lists (left, right) pairs from the last axis.
        // a = 0 is dt = 0: decay 1 and no input, so the state passes through unchanged.
        a = a.pad(new Shape(0, 0, 0, pad), 0);
        Shape pad4 = new Shape(0, 0, 0, 0, 0, pad);
        xdt = xdt.pad(pad4, 0);
        bIn = bIn.pad(pad4, 0);
        cIn = cIn.pad(pad4, 0);
      }
      // Into chunks, heads before chunks: (B, H, c, Q[, ·]).
      NDArray ac = a.reshape(b, nc, q, h).transpose(0, 3, 1, 2); // (B, H, c, Q)
      NDArray xc = xdt.reshape(b, nc, q, h, p).transpose(0, 3, 1, 2, 4); // (B, H, c, Q, P)
      NDArray bc = bIn.reshape(b, nc, q, h, n).transpose(0, 3, 1, 2, 4); // (B, H, c, Q, N)
      NDArray cc = cIn.reshape(b, nc, q, h, n).transpose(0, 3, 1, 2, 4); // (B, H, c, Q, N)
      NDArray cum = ac.cumSum(-1); // (B, H, c, Q)     s_i
      NDArray last = cum.get(":, :, :, -1:"); // (B, H, c, 1)     s_last of each chunk

      // 1. Intra-chunk: y_i = sum_{j<=i} exp(s_i - s_j) (C_i . B_j) X_j.
      NDArray seg = cum.expandDims(-1).sub(cum.expandDims(-2)); // (B, H, c, Q, Q) s_i - s_j
      NDArray decay = maskedExp(seg, causalMask(owner, q, false));
      NDArray scores = cc.matMul(bc.swapAxes(-1, -2)).mul(decay); // (B, H, c, Q, Q)
      NDArray yDiag = scores.matMul(xc); // (B, H, c, Q, P)

      // 2. Chunk states from zero: S^loc = sum_j exp(s_last - s_j) X_j (x) B_j.
      NDArray toEnd = last.sub(cum).exp().expandDims(-1); // (B, H, c, Q, 1)
      NDArray local = xc.swapAxes(-1, -2).matMul(bc.mul(toEnd)); // (B, H, c, P, N)

      // 3. Inter-chunk recurrence over the c chunks: S_k = exp(s_last,k) S_{k-1} + S^loc_k. A loop
      //    of 2 ops per chunk for few chunks, the closed form from CLOSED_FORM_MIN_CHUNKS on.
      NDArray prev = null; // (B, H, c, P, N): the state entering each chunk; null when all zero
      NDArray s; // (B, H, P, N): the final state
      if (closedForm(nc)) {
        // Closed form (as mamba_ssm's ssd_minimal), g_k = s_last,k: with the initial state as
        // chunk -1, T = c + 1 states W = [S_init; S^loc_0..c-1] and gp = [0, g_0..g_{c-1}], the
        // states entering chunks 0..c-1 and the final state are exp(segsum(gp)) W: one (T, T) x
        // (T, P*N) matmul per (B, H). segsum(gp)[z][m] = sum of gp_d over m < d <= z, a masked
        // cumsum (not a difference of cumsums: no cancellation).
        final long t = nc + 1;
        NDArray init =
            initialState == null
                ? owner.zeros(new Shape(b, h, 1, p, n), x.getDataType(), x.getDevice())
                : initialState.expandDims(2);
        NDArray w = init.concat(local, 2).reshape(b, h, t, p * n); // (B, H, T, P*N)
        NDArray gp = last.squeeze(-1).pad(new Shape(1, 0), 0); // (B, H, T)
        Shape square = new Shape(b, h, t, t);
        NDArray below =
            NDArrays.where(
                causalMask(owner, t, true).broadcast(square),
                gp.expandDims(-1).broadcast(square),
                DeviceConstants.scalar(gp.getDevice(), gp.getDataType(), 0.0));
        NDArray chunkDecay = maskedExp(below.cumSum(2), causalMask(owner, t, false)); // (B,H,T,T)
        NDArray passed = chunkDecay.matMul(w).reshape(b, h, t, p, n); // (B, H, T, P, N)
        s = passed.get(":, :, {}", nc); // (B, H, P, N)   S_{c-1}, the final state
        if (initialState != null || nc > 1) {
          prev = passed.get(":, :, :{}", nc); // (B, H, c, P, N)
        }
      } else {
        NDList locals = local.split(nc, 2); // c × (B, H, 1, P, N)
        NDList chunkDecay = last.exp().expandDims(-1).split(nc, 2); // c × (B, H, 1, 1, 1)
        NDList entering = new NDList((int) nc);
        if (initialState == null) {
          if (nc > 1) {
            entering.add(owner.zeros(new Shape(b, h, 1, p, n), x.getDataType(), x.getDevice()));
          }
          s = locals.get(0); // exp(.)·0 + S^loc_0
        } else {
          NDArray s0 = initialState.expandDims(2);
          entering.add(s0);
          s = s0.mul(chunkDecay.get(0)).add(locals.get(0));
        }
        for (int k = 1; k < nc; k++) {
          entering.add(s);
          s = s.mul(chunkDecay.get(k)).add(locals.get(k));
        }
        if (!entering.isEmpty()) {
          prev = entering.size() == 1 ? entering.get(0) : NDArrays.concat(entering, 2);
        }
        s = s.reshape(b, h, p, n);
      }

      // 4. State entering each chunk -> outputs: y_i += exp(s_i) S_{k-1} C_i.
      //    Skipped when nothing enters (one chunk and a zero initial state).
      NDArray yAll = yDiag;
      if (prev != null) {
        NDArray cDecayed = cc.mul(cum.exp().expandDims(-1)); // (B, H, c, Q, N)
        yAll = yDiag.add(cDecayed.matMul(prev.swapAxes(-1, -2))); // (B, H, c, Q, P)
      }

      y = yAll.transpose(0, 2, 3, 1, 4).reshape(b, padded, h, p); // (B, L', H, P)
      if (pad > 0) {
        y = y.get(":, :{}", len);
      }
      finalState = s;
      NDScope.unregister(y);
      NDScope.unregister(finalState);
    }
    return new ScanResult(handOver(y, owner), handOver(finalState, owner));
  }

  /**
   * The recurrence itself, one {@link #step} per token: slow (about 17 native calls per token) and
   * obviously correct. The reference twin of {@link #chunkedScan}; same arguments and result.
   *
   * @param x (B, L, H, P)
   * @param dt (B, L, H), positive
   * @param A (H), negative
   * @param B (B, L, H, N)
   * @param C (B, L, H, N)
   * @param initialState (B, H, P, N) or null for zeros
   * @return y (B, L, H, P) and the final state (B, H, P, N), attached to x's manager
   */
  public static ScanResult recurrentScan(
      NDArray x, NDArray dt, NDArray A, NDArray B, NDArray C, NDArray initialState) {
    SsdShapes.Dims d = SsdShapes.checkScan(x, dt, A, B, C, initialState);
    NDManager owner = x.getManager();
    NDArray y;
    NDArray state;
    try (NDScope scope = new NDScope()) {
      state =
          initialState != null
              ? initialState
              : owner.zeros(
                  new Shape(d.batch(), d.heads(), d.headDim(), d.stateDim()),
                  x.getDataType(),
                  x.getDevice());
      NDList ys = new NDList((int) d.length());
      for (long t = 0; t < d.length(); t++) {
        StepResult r =
            step(
                state,
                x.get(":, {}", t),
                dt.get(":, {}", t),
                A,
                B.get(":, {}", t),
                C.get(":, {}", t));
        ys.add(r.y());
        state = r.state();
      }
      y = NDArrays.stack(ys, 1);
      NDScope.unregister(y);
      NDScope.unregister(state);
    }
    return new ScanResult(handOver(y, owner), handOver(state, owner));
  }

  /**
   * One token of the recurrence, functional: {@code S' = exp(dt·A) S + dt · x ⊗ B}, {@code y = S'
   * C}. The input state is not modified, so this is safe under autograd (use it for training-time
   * recurrences and as the reference); it allocates a new (B, H, P, N) state per call.
   *
   * @param state (B, H, P, N)
   * @param x (B, H, P)
   * @param dt (B, H), positive
   * @param A (H), negative
   * @param B (B, H, N)
   * @param C (B, H, N)
   * @return y (B, H, P) and the new state (B, H, P, N), attached to x's manager
   */
  public static StepResult step(
      NDArray state, NDArray x, NDArray dt, NDArray A, NDArray B, NDArray C) {
    SsdShapes.Dims d = SsdShapes.checkStep(state, x, dt, A, B, C);
    NDManager owner = x.getManager();
    NDArray y;
    NDArray next;
    try (NDScope scope = new NDScope()) {
      next = state.mul(stepDecay(dt, A, d)).add(stepInput(x, dt, B));
      y = readOut(next, C);
      NDScope.unregister(y);
      NDScope.unregister(next);
    }
    return new StepResult(handOver(y, owner), handOver(next, owner));
  }

  /**
   * The same step as {@link #step}, but it updates the caller-owned {@code state} in place ({@code
   * muli}, {@code addi}) and returns only y. This is the decode path: no new state is allocated per
   * token and there are fewer native ops. It is <em>not</em> autograd-friendly: call it outside a
   * {@code GradientCollector}, on a state that does not require gradients and that is a real,
   * writable tensor (not a broadcast view).
   *
   * @param state (B, H, P, N), overwritten with the new state
   * @param x (B, H, P)
   * @param dt (B, H), positive
   * @param A (H), negative
   * @param B (B, H, N)
   * @param C (B, H, N)
   * @return y (B, H, P), attached to x's manager
   */
  public static NDArray stepInPlace(
      NDArray state, NDArray x, NDArray dt, NDArray A, NDArray B, NDArray C) {
    SsdShapes.Dims d = SsdShapes.checkStep(state, x, dt, A, B, C);
    NDManager owner = x.getManager();
    NDArray y;
    try (NDScope scope = new NDScope()) {
      state.muli(stepDecay(dt, A, d)).addi(stepInput(x, dt, B));
      y = readOut(state, C);
      NDScope.unregister(y);
    }
    return handOver(y, owner);
  }

  /**
   * {@link #stepInPlace} with its operands already in the shapes of the products (the decode fast
   * path, docs/benchmarks.md#decode-ops): 7 native ops per layer and token where {@link
   * #stepInPlace} with its reshapes takes 13 and its caller's squeezes 5 more. Same arithmetic:
   *
   * <pre>
   *   S ← exp(dt A) S + (dt x) Bᵀ        y = S C
   * </pre>
   *
   * Not autograd-friendly (see {@link #stepInPlace}).
   *
   * @param state (B, H, P, N), overwritten with the new state
   * @param x (B, H, P, 1)
   * @param dt (B, H, 1, 1), positive
   * @param A (H, 1, 1), negative
   * @param B (B, H, 1, N)
   * @param C (B, H, N, 1)
   * @return y (B, H, P, 1), attached to x's manager
   */
  public static NDArray stepInPlaceColumns(
      NDArray state, NDArray x, NDArray dt, NDArray A, NDArray B, NDArray C) {
    SsdShapes.checkColumnStep(state, x, dt, A, B, C);
    NDManager owner = x.getManager();
    NDArray y;
    try (NDScope scope = new NDScope()) {
      state.muli(dt.mul(A).exp()).addi(x.mul(dt).matMul(B));
      y = state.matMul(C);
      NDScope.unregister(y);
    }
    return handOver(y, owner);
  }

  /**
   * The "attention" (quadratic) form, the readable reference twin:
   *
   * <pre>
   *   y_t = Σ_{s≤t} exp(Σ_{r=s+1..t} dt_r A) (C_t·B_s) dt_s x_s
   * </pre>
   *
   * built as an explicit (B, H, L, L) matrix. Time and memory are O(B·H·L²): for tests and small
   * sizes only. The segment sums are formed by a masked cumulative sum (not as differences of
   * prefix sums), so the numerics differ from {@link #chunkedScan}. No initial state.
   *
   * @param x (B, L, H, P)
   * @param dt (B, L, H), positive
   * @param A (H), negative
   * @param B (B, L, H, N)
   * @param C (B, L, H, N)
   * @return y (B, L, H, P), attached to x's manager
   */
  public static NDArray quadraticForm(NDArray x, NDArray dt, NDArray A, NDArray B, NDArray C) {
    SsdShapes.Dims d = SsdShapes.checkScan(x, dt, A, B, C, null);
    NDManager owner = x.getManager();
    long len = d.length();
    Shape square = new Shape(d.batch(), d.heads(), len, len);
    NDArray y;
    try (NDScope scope = new NDScope()) {
      NDArray a = dt.mul(A).transpose(0, 2, 1); // (B, H, L)    a_r = dt_r A
      // seg[t, s] = sum_{s < r <= t} a_r: repeat a_r along s, keep r > s, cumulative sum over r.
      NDArray rows = a.expandDims(-1).broadcast(square); // [r, s] = a_r
      NDArray zero = owner.zeros(new Shape(), x.getDataType(), x.getDevice());
      NDArray strict = causalMask(owner, len, true).broadcast(square);
      NDArray seg = NDArrays.where(strict, rows, zero).cumSum(-2); // (B, H, L, L)
      NDArray decay = maskedExp(seg, causalMask(owner, len, false));
      NDArray cb = C.transpose(0, 2, 1, 3).matMul(B.transpose(0, 2, 3, 1)); // [t, s] = C_t . B_s
      NDArray dtS = dt.transpose(0, 2, 1).expandDims(-2); // (B, H, 1, L): dt_s per column
      NDArray m = cb.mul(decay).mul(dtS); // (B, H, L, L)
      y = m.matMul(x.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3); // (B, L, H, P)
      NDScope.unregister(y);
    }
    return handOver(y, owner);
  }

  // ---------------------------------------------------------------------------------------------

  /** exp(dt A) as (B, H, 1, 1). */
  private static NDArray stepDecay(NDArray dt, NDArray A, SsdShapes.Dims d) {
    return dt.mul(A).exp().reshape(d.batch(), d.heads(), 1, 1);
  }

  /** dt · x ⊗ B as (B, H, P, N). */
  private static NDArray stepInput(NDArray x, NDArray dt, NDArray B) {
    return x.mul(dt.expandDims(-1)).expandDims(-1).matMul(B.expandDims(-2));
  }

  /** S C as (B, H, P). */
  private static NDArray readOut(NDArray state, NDArray C) {
    return state.matMul(C.expandDims(-1)).squeeze(-1);
  }

  /** Boolean (n, n) mask of row ≥ column (or row > column when strict). */
  private static NDArray causalMask(NDManager m, long n, boolean strict) {
    NDArray idx = DeviceConstants.positions(m, 0, (int) n); // the device's cached ramp
    NDArray row = idx.expandDims(1);
    NDArray col = idx.expandDims(0);
    return strict ? row.gt(col) : row.gte(col);
  }

  /**
   * exp(exponents) on and below the diagonal of the last two axes, 0 above it. The mask is applied
   * before exp (with -inf), so no inf appears and the gradient above the diagonal is exactly 0.
   */
  private static NDArray maskedExp(NDArray exponents, NDArray lowerMask) {
    NDArray negInf =
        DeviceConstants.scalar(
            exponents.getDevice(), exponents.getDataType(), Double.NEGATIVE_INFINITY);
    NDArray cond = lowerMask.broadcast(exponents.getShape());
    return NDArrays.where(cond, exponents, negInf).exp();
  }

  /**
   * Gives a result to the caller: attached to {@code owner} (x's manager) and registered in the
   * caller's {@link NDScope}, if one is open. Call after the method's own scope is closed.
   */
  private static NDArray handOver(NDArray array, NDManager owner) {
    if (array.getManager() != owner) {
      array.attach(owner);
    }
    NDScope.register(array);
    return array;
  }
}
