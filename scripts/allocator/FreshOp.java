import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * The fresh-memory microbenchmark of docs/benchmarks.md#allocator: an elementwise op on 8M floats ({@code x.div(8f)})
 * that allocates its 32 MB result each time, as PyTorch ops do; what it costs depends on whether the allocator
 * hands back recently freed pages or maps fresh ones (page faults). Prints {"fresh_div_8m_ms": median, ...}.
 * Run by scripts/allocator-compare: java -cp CLI_JAR scripts/allocator/FreshOp.java [repeats]
 */
public final class FreshOp {
  public static void main(String[] args) {
    System.setProperty("ai.djl.offline", "true");
    int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.randomUniform(0f, 1f, new Shape(8L << 20));
      double[] ms = new double[repeats];
      for (int w = 0; w < 5; w++) {
        try (NDArray y = x.div(8f)) {
          y.getFloat(0);
        }
      }
      for (int i = 0; i < repeats; i++) {
        long t0 = System.nanoTime();
        try (NDArray y = x.div(8f)) {
          y.getFloat(0);
        }
        ms[i] = (System.nanoTime() - t0) / 1e6;
      }
      Arrays.sort(ms);
      System.out.printf(java.util.Locale.ROOT, "{\"fresh_div_8m_ms\": %.2f, \"min_ms\": %.2f, \"repeats\": %d}%n",
          ms[repeats / 2], ms[0], repeats);
    }
  }
}
