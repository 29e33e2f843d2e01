package org.mmmamba.core.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * torch's fused {@code scaled_dot_product_attention}, causal with grouped-query heads: one kernel
 * (flash or memory-efficient on a GPU, a blocked flash kernel on the CPU) instead of {@link
 * CausalAttention}'s blocks of scores, mask, float32 softmax and two matmuls, and no score matrix
 * in memory. DJL 0.36 has no binding for the op; it is reached through a one-method TorchScript
 * module whose archive is written here (its source code and two small pickles, in memory: no
 * Python, no file) and loaded once per device by DJL's module loader. It serves prefills from
 * position 0: a frozen teacher's forward inside a training step, evaluation, a generation's
 * prefill, and with autograd on (attention kept by a hybrid student in stage 3, teacher training)
 * the module call records torch's fused backward into the graph like any other op ({@code SdpaTest}
 * checks its gradients against the reference's). {@link CausalAttention#attend(NDArray, NDArray,
 * NDArray)} decides, and keeps its blocked path, the slow twin, for decode and cached prefills.
 *
 * <p>Shapes: q (B, H, L, P); k, v (B, G, L, P) with H = r * G (query head h uses kv head h / r, as
 * HF's {@code repeat_kv}); query i sees keys 0..i. Output (B, H, L, P) in q's dtype. Scale
 * 1/sqrt(P). The module repeats k and v to H heads (B x H x L x P each) and calls the op without
 * {@code enable_gqa}: with it, libtorch 2.7 on the CPU takes the math kernel, which builds the L x
 * L scores (at 8K tokens and 2 heads: 3.0 s and 1.7 GB resident, against 62 ms and 0.25 GB with the
 * repeat), and the memory-efficient kernel of a GPU (float32) has no grouped-query form either.
 *
 * <p>{@code -Dmmmamba.sdpa=false} (or the environment variable {@code MMMAMBA_SDPA=false}) turns it
 * off; a libtorch that cannot compile the module turns it off with one warning.
 */
public final class Sdpa {
  private static final Logger LOG = LoggerFactory.getLogger(Sdpa.class);
  private static final String SOURCE =
      "class Sdpa(Module):\n"
          + "  __parameters__ = []\n"
          + "  __buffers__ = []\n"
          + "  training : bool\n"
          + "  def forward(self: __torch__.Sdpa,\n"
          + "    q: Tensor,\n"
          + "    k: Tensor,\n"
          + "    v: Tensor) -> Tensor:\n"
          + "    r = torch.floordiv(torch.size(q, 1), torch.size(k, 1))\n"
          + "    if torch.gt(r, 1):\n"
          + "      k0 = torch.repeat_interleave(k, r, 1)\n"
          + "      v0 = torch.repeat_interleave(v, r, 1)\n"
          + "    else:\n"
          + "      k0, v0 = k, v\n"
          + "    return torch.scaled_dot_product_attention(q, k0, v0, None, 0., True)\n";
  private static final Object LOCK = new Object();
  private static final Map<Device, PtSymbolBlock> MODULES = new HashMap<>();
  private static volatile boolean broken;

  private Sdpa() {}

  /** Whether the fused path is switched on (see the class comment). */
  public static boolean enabled() {
    String p = System.getProperty("mmmamba.sdpa", System.getenv("MMMAMBA_SDPA"));
    return !broken && (p == null || !p.equalsIgnoreCase("false"));
  }

  /**
   * Whether {@link #causal} may compute attention of these arrays here: the path is on, queries and
   * keys are the same positions (a prefill from position 0, more than one), and a floating dtype.
   * Autograd may be on or off.
   */
  public static boolean usable(NDArray q, NDArray k) {
    if (!enabled() || !(q.getManager() instanceof PtNDManager)) {
      return false;
    }
    long lq = q.getShape().get(2);
    DataType t = q.getDataType();
    return lq > 1
        && lq == k.getShape().get(2)
        && (t == DataType.FLOAT32 || t == DataType.FLOAT16 || t == DataType.FLOAT64);
  }

  /**
   * Causal grouped-query attention through torch's fused op (call only where {@link #usable}).
   *
   * @return (B, H, L, P) in q's dtype, attached to q's manager; null when this libtorch cannot load
   *     the module (then {@link #enabled} is false from here on)
   */
  public static NDArray causal(NDArray q, NDArray k, NDArray v) {
    PtSymbolBlock module = module(q.getDevice());
    if (module == null) {
      return null;
    }
    // DJL's "inference" call would run the method under c10::InferenceMode, whose outputs are
    // inference tensors: a later op that saves one for backward (a teacher's output as the target
    // of a trainable product) fails. The plain call runs under the thread's grad mode: off, it
    // records no graph; on, the fused op's backward joins the caller's graph.
    NDList out = IValueUtils.forward(module, new NDList(q, k, v), true);
    return out.singletonOrThrow();
  }

  private static PtSymbolBlock module(Device device) {
    synchronized (LOCK) {
      PtSymbolBlock m = MODULES.get(device);
      if (m == null) {
        NDManager manager = NDManager.newBaseManager(device, "PyTorch");
        try {
          m =
              JniUtils.loadModule(
                  (PtNDManager) manager, new ByteArrayInputStream(archive()), true, false);
        } catch (IOException e) {
          manager.close();
          throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
          manager.close();
          broken = true;
          LOG.warn(
              "fused attention unavailable on this libtorch ({}); using blocked attention",
              e.getMessage() == null
                  ? e.toString()
                  : e.getMessage().lines().findFirst().orElse(""));
          return null;
        }
        MODULES.put(device, m);
      }
      return m;
    }
  }

  /**
   * The TorchScript archive of the module: what {@code torch.jit.save} writes for it, in the zip
   * layout {@code torch::jit::load} reads (entries stored, not compressed): the class's code, the
   * pickled object (an instance of {@code __torch__.Sdpa} with {@code training = True}), an empty
   * constants table, the format version and the byte order.
   */
  static byte[] archive() {
    byte[] data = {
      (byte) 0x80,
      2,
      'c',
      '_',
      '_',
      't',
      'o',
      'r',
      'c',
      'h',
      '_',
      '_',
      '\n',
      'S',
      'd',
      'p',
      'a',
      '\n',
      'q',
      0,
      ')',
      (byte) 0x81,
      '}',
      'q',
      1,
      'X',
      8,
      0,
      0,
      0,
      't',
      'r',
      'a',
      'i',
      'n',
      'i',
      'n',
      'g',
      'q',
      2,
      (byte) 0x88,
      's',
      'b',
      '.'
    };
    byte[] constants = {(byte) 0x80, 2, ')', '.'};
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      stored(zip, "sdpa/data.pkl", data);
      stored(zip, "sdpa/code/__torch__.py", SOURCE.getBytes(StandardCharsets.UTF_8));
      stored(zip, "sdpa/constants.pkl", constants);
      stored(zip, "sdpa/version", "3\n".getBytes(StandardCharsets.US_ASCII));
      stored(zip, "sdpa/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static void stored(ZipOutputStream zip, String name, byte[] content) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(content.length);
    e.setCompressedSize(content.length);
    CRC32 crc = new CRC32();
    crc.update(content);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(content);
    zip.closeEntry();
  }
}
