package org.mmmamba.core.ssd;

import ai.djl.ndarray.NDArray;

/**
 * Output of a full-sequence SSD scan.
 *
 * @param y the outputs, shape (B, L, H, P)
 * @param finalState the state after the last token, shape (B, H, P, N); feed it as the initial
 *     state of the next scan or of {@link Ssd#step} to continue the sequence
 */
public record ScanResult(NDArray y, NDArray finalState) {}
