package org.mmmamba.core.ssd;

import ai.djl.ndarray.NDArray;

/**
 * Output of one functional SSD step ({@link Ssd#step}).
 *
 * @param y the output for this token, shape (B, H, P)
 * @param state the new state, shape (B, H, P, N); the input state is left untouched
 */
public record StepResult(NDArray y, NDArray state) {}
