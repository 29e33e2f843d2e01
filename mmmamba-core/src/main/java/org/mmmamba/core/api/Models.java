package org.mmmamba.core.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import org.mmmamba.core.BadInputException;
import org.mmmamba.core.Offline;
import org.mmmamba.core.io.SafetensorsWriter;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.ModelIo;

/**
 * The front door for notebooks and the CLI: load any supported checkpoint (Llama, Qwen2, InternLM2, HF
 * Mamba2, mmMamba students) and run it.
 *
 * <pre>{@code
 * try (NDManager m = NDManager.newBaseManager();
 *      DecoderModel model = Models.load(Path.of("my-model"), m, DataType.FLOAT32)) {
 *   NDArray logits = model.forward(model.ids(m, new long[][] {{1, 2, 3}}));
 * }
 * }</pre>
 */
public final class Models {
  static {
    Offline.init();
  }

  /** Positions per logits chunk when writing logits (bounds memory at (B, chunk, V)). */
  public static final int LOGITS_CHUNK = 256;

  private Models() {}

  /** Loads a checkpoint directory (config.json + safetensors) in {@code dtype}. */
  public static DecoderModel load(Path dir, NDManager m, DataType dtype) {
    return ModelIo.load(dir, m, dtype);
  }

  /** Runs the model on {@code ids} and writes tensor {@code logits} (float32 [B, L, V]) to {@code out}. */
  public static void writeLogits(DecoderModel model, long[][] ids, Path out) {
    int b = ids.length;
    int l = ids[0].length;
    int v = model.config().vocabSize();
    long total = (long) b * l * v;
    if (total > Integer.MAX_VALUE - 8) {
      throw new BadInputException("logits of shape [" + b + ", " + l + ", " + v + "] exceed 2^31 elements: "
          + "split the input");
    }
    float[] flat = new float[(int) total];
    NDManager m = model.weights().manager().getParentManager();
    try (NDScope scope = new NDScope()) {
      NDArray hidden = model.hidden(model.embed(model.ids(m, ids)), null);
      model.logitsChunked(hidden, LOGITS_CHUNK, (start, logits) -> {
        float[] part = logits.toType(DataType.FLOAT32, false).toFloatArray();
        int len = (int) logits.getShape().get(1);
        for (int i = 0; i < b; i++) {
          System.arraycopy(part, i * len * v, flat, (i * l + start) * v, len * v);
        }
      });
    }
    new SafetensorsWriter().metadata("format", "pt").addFloats("logits", new long[] {b, l, v}, flat).write(out);
  }

}
