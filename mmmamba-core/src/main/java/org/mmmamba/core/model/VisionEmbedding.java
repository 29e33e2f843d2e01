package org.mmmamba.core.model;

import static org.mmmamba.core.config.ParamNames.VISION_CLASS;
import static org.mmmamba.core.config.ParamNames.VISION_PATCH_B;
import static org.mmmamba.core.config.ParamNames.VISION_PATCH_W;
import static org.mmmamba.core.config.ParamNames.VISION_POS;
import static org.mmmamba.core.config.ParamNames.VISION_PROJ1_B;
import static org.mmmamba.core.config.ParamNames.VISION_PROJ1_W;
import static org.mmmamba.core.config.ParamNames.VISION_PROJ2_B;
import static org.mmmamba.core.config.ParamNames.VISION_PROJ2_W;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import java.util.Arrays;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.config.VlmConfig;

/**
 * HoVLE's image-token maker (docs/method.md §6): tiles of normalised pixels to image tokens in the
 * LLM's width.
 *
 * <ol>
 *   <li>Patch embedding: the Conv2d(C -> D, kernel = stride = p) is a matmul over unfolded patches,
 *       with the weight stored as a (D, C*p*p) matrix whose columns are in the conv's (c, ky, kx)
 *       order.
 *   <li>Learned position embeddings {@code vision.pos[1:]} (row 0 is the unused class slot),
 *       resized bicubically ({@link TorchBicubic}) when the tile's grid differs from the stored
 *       one.
 *   <li>Pixel shuffle 0.5: 2x2 neighbouring patches are concatenated into one token ({@link
 *       #pixelShuffle}).
 *   <li>MLP projector: Linear(4D, D), exact (erf) GELU as torch {@code nn.GELU()}, Linear(D, D).
 * </ol>
 *
 * <p>Shapes: T tiles, C channels, S tile side, p patch, g = S / p, D hidden. Pixels (T, C, S, S) ->
 * tokens (T, (g/2)^2, D). Every step is a differentiable NDArray op, so gradients reach every
 * vision weight.
 *
 * <p>The tensors live in a {@link Weights} store this object reads but does not own.
 */
public final class VisionEmbedding {
  private final VlmConfig config;
  private final Weights weights;

  /**
   * Checks that {@code weights} holds every vision tensor with the shape {@code config} implies.
   */
  public VisionEmbedding(VlmConfig config, Weights weights) {
    this.config = config;
    this.weights = weights;
    long d = config.hiddenSize();
    long p = config.patchSize();
    check(VISION_PATCH_W, d, config.channels() * p * p);
    check(VISION_PATCH_B, d);
    check(VISION_POS, config.numPatches() + 1, d);
    check(VISION_CLASS, 1, 1, d);
    check(VISION_PROJ1_W, d, 4 * d);
    check(VISION_PROJ1_B, d);
    check(VISION_PROJ2_W, d, d);
    check(VISION_PROJ2_B, d);
  }

  private void check(String name, long... shape) {
    long[] got = weights.get(name).getShape().getShape();
    if (!Arrays.equals(got, shape)) {
      throw new BadInputException(
          "vision tensor '"
              + name
              + "' has shape "
              + Arrays.toString(got)
              + ", expected "
              + Arrays.toString(shape));
    }
  }

  /** The config. */
  public VlmConfig config() {
    return config;
  }

  /** The store the vision tensors are read from (not owned). */
  public Weights weights() {
    return weights;
  }

  /**
   * Image tokens of a stack of tiles: (T, C, S, S) -> (T, (S/p/2)^2, D). S may differ from the
   * configured tile side (the position embeddings are then resized); it must be a multiple of 2p.
   */
  public NDArray embed(NDArray pixels) {
    int g = checkPixels(pixels, "pixels");
    NDArray px =
        pixels.getDataType() == weights.dtype() ? pixels : pixels.toType(weights.dtype(), false);
    NDArray x = patchEmbed(px).add(positions(px, g)); // (T, g*g, D)
    NDArray shuffled = pixelShuffle(x, g); // (T, g*g/4, 4D)
    NDArray h =
        Linear.linear(shuffled, weights.get(VISION_PROJ1_W), weights.get(VISION_PROJ1_B))
            .singletonOrThrow();
    return Linear.linear(gelu(h), weights.get(VISION_PROJ2_W), weights.get(VISION_PROJ2_B))
        .singletonOrThrow();
  }

  /**
   * Checks a tile stack's shape and returns g, its patches per side.
   *
   * @param what names the input in the error message (e.g. "pixels of sample 2")
   */
  public int checkPixels(NDArray pixels, String what) {
    Shape s = pixels.getShape();
    int p = config.patchSize();
    boolean ok =
        s.dimension() == 4
            && s.get(0) >= 1
            && s.get(1) == config.channels()
            && s.get(2) == s.get(3)
            && s.get(2) > 0
            && s.get(2) % (2L * p) == 0;
    if (!ok) {
      throw new BadInputException(
          what
              + ": expected (T, "
              + config.channels()
              + ", S, S) with T >= 1 and S a "
              + "multiple of 2 * patch_size = "
              + 2 * p
              + " (e.g. S = "
              + config.imageSize()
              + "), got "
              + s);
    }
    return (int) (s.get(2) / p);
  }

  /**
   * Patch embedding, fast path: unfold + one matmul. (T, C, S, S) -> (T, g*g, D), patches
   * row-major.
   */
  public NDArray patchEmbed(NDArray pixels) {
    NDArray patches = unfoldPatches(pixels, config.patchSize());
    Shape s = patches.getShape();
    NDArray flat = patches.reshape(s.get(0), s.get(1) * s.get(2), s.get(3));
    return Linear.linear(flat, weights.get(VISION_PATCH_W), weights.get(VISION_PATCH_B))
        .singletonOrThrow();
  }

  /**
   * (T, C, S, S) -> (T, g, g, C*p*p): patch (gy, gx) as a vector in the conv weight's (c, ky, kx)
   * order, i.e. element [t, gy, gx, (c*p + ky)*p + kx] = pixels[t, c, gy*p + ky, gx*p + kx].
   */
  public static NDArray unfoldPatches(NDArray pixels, int p) {
    Shape s = pixels.getShape();
    long t = s.get(0);
    long c = s.get(1);
    long g = s.get(2) / p;
    return pixels
        .reshape(t, c, g, p, g, p) // [t, c, gy, ky, gx, kx]
        .transpose(0, 2, 4, 1, 3, 5) // [t, gy, gx, c, ky, kx]
        .reshape(t, g, g, c * p * p);
  }

  /**
   * Slow twin of {@link #patchEmbed}: the convolution as explicit loops over tiles, patches,
   * outputs and taps.
   *
   * @param pixels (T, C, S, S) values, row-major
   * @param w (D, C, p, p) conv weight, row-major
   * @param b (D) bias
   * @return (T, g*g, D) row-major
   */
  public static double[] patchEmbedReference(
      double[] pixels, int t, int c, int side, double[] w, double[] b, int d, int p) {
    int g = side / p;
    double[] out = new double[t * g * g * d];
    for (int ti = 0; ti < t; ti++) {
      for (int gy = 0; gy < g; gy++) {
        for (int gx = 0; gx < g; gx++) {
          for (int o = 0; o < d; o++) {
            double acc = b[o];
            for (int ci = 0; ci < c; ci++) {
              for (int ky = 0; ky < p; ky++) {
                for (int kx = 0; kx < p; kx++) {
                  double px = pixels[((ti * c + ci) * side + gy * p + ky) * side + gx * p + kx];
                  acc += w[((o * c + ci) * p + ky) * p + kx] * px;
                }
              }
            }
            out[((ti * g + gy) * g + gx) * d + o] = acc;
          }
        }
      }
    }
    return out;
  }

  /**
   * Position embeddings for a g x g grid, (g*g, D): {@code vision.pos[1:]}, bicubically resized
   * from the stored grid when g differs. Created in {@code like}'s manager.
   */
  public NDArray positions(NDArray like, int g) {
    NDArray pos = weights.get(VISION_POS).get(like.getManager(), new NDIndex("1:"));
    int g0 = config.grid();
    return g == g0 ? pos : TorchBicubic.resize2d(like.getManager(), pos, g0, g);
  }

  /**
   * Pixel shuffle with ratio 0.5, HoVLE's token order (docs/method.md §6): x (T, g*g, C) with patch
   * (r, c) at row r*g + c -> (T, (g/2)^2, 4C) where token (i, j), at row i*(g/2) + j, is the
   * concatenation [p(2i, 2j), p(2i, 2j+1), p(2i+1, 2j), p(2i+1, 2j+1)].
   */
  public static NDArray pixelShuffle(NDArray x, int g) {
    Shape s = x.getShape();
    long t = s.get(0);
    long c = s.get(2);
    long h = g / 2;
    return x.reshape(t, h, 2, h, 2, c) // [t, i, dr, j, dc, c]: patch (2i + dr, 2j + dc)
        .transpose(0, 1, 3, 2, 4, 5) // [t, i, j, dr, dc, c]
        .reshape(t, h * h, 4 * c);
  }

  /**
   * GELU in the exact erf form of torch {@code nn.GELU()}: x * Phi(x). DJL's {@code
   * Activation.gelu} calls {@code torch::gelu} with its default {@code approximate='none'}, which
   * is that form (tested).
   */
  public static NDArray gelu(NDArray x) {
    return Activation.gelu(x);
  }
}
