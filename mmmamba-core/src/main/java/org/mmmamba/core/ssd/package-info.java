/**
 * Parameter-free state space duality (SSD) math of Mamba-2, on DJL {@code NDArray}s.
 *
 * <p>The recurrence that defines everything here, per batch row and head (state {@code S} is P×N):
 *
 * <pre>
 *   S_t = exp(dt_t · A) · S_{t-1} + dt_t · x_t ⊗ B_t      (outer product, P×N)
 *   y_t = S_t · C_t                                      (a P vector)
 * </pre>
 *
 * <p>Three forms compute it, and tests hold them equal:
 *
 * <ul>
 *   <li>{@link org.mmmamba.core.ssd.Ssd#chunkedScan}: the training / prefill form, memory
 *       O(B·H·L·Q);
 *   <li>{@link org.mmmamba.core.ssd.Ssd#recurrentScan} and {@link org.mmmamba.core.ssd.Ssd#step}:
 *       the recurrence itself (the decode form);
 *   <li>{@link org.mmmamba.core.ssd.Ssd#quadraticForm}: the "attention" form, an explicit L×L
 *       matrix (reference only).
 * </ul>
 *
 * <p>Shape glossary used in every Javadoc of this package:
 *
 * <table>
 *   <caption>Shape letters</caption>
 *   <tr><td>B</td><td>batch</td></tr>
 *   <tr><td>L</td><td>sequence length</td></tr>
 *   <tr><td>H</td><td>heads (inputs are already expanded to H heads: GQA / n_groups expansion is the
 *       caller's job)</td></tr>
 *   <tr><td>P</td><td>head dimension (width of x and y per head)</td></tr>
 *   <tr><td>N</td><td>state dimension (width of B and C per head)</td></tr>
 *   <tr><td>Q</td><td>chunk length of the chunked scan</td></tr>
 * </table>
 *
 * <p>Input conventions: {@code dt} is already positive (softplus and bias applied by the caller),
 * {@code A} holds one negative real per head, and there is no D skip term (the caller adds {@code
 * D·x}). All inputs must share one floating dtype and one device.
 */
package org.mmmamba.core.ssd;
