package org.mmmamba.core.text;

/**
 * A piece of rendered chat text, tagged as prompt (not trained on) or answer (trained on).
 *
 * @param text the rendered text
 * @param answer true for the assistant's words and the end token that closes them
 */
public record Segment(String text, boolean answer) {}
