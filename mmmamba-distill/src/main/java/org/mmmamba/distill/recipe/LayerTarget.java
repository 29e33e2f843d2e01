package org.mmmamba.distill.recipe;

/** Where the layer-wise loss of stages 1-2 compares student and teacher ({@code target}). */
public enum LayerTarget {
  /** The mixers' outputs before the shared output projection W_O (the released code). */
  BEFORE_WO,
  /** After W_O (the variant drawn in the paper's figure). */
  AFTER_WO
}
