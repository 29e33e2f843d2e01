package org.mmmamba.distill.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.BadInputException;

class OpProfileTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String ev(String name, long tid, double ts, double dur) {
    return String.format(
        "{\"name\":\"%s\",\"ph\":\"X\",\"ts\":%s,\"dur\":%s,\"tid\":%d}", name, ts, dur, tid);
  }

  @Test
  void onlyEventsNotEnclosedOnTheirThreadAreTopLevel() throws Exception {
    // Thread 1: linear [0,10) encloses t [0,2) and matmul [2,10) which encloses mm [3,9); then add
    // [10,12) starts exactly at linear's end (not enclosed). Thread 2: a backward node [5,8).
    String trace =
        "["
            + String.join(
                ",",
                ev("aten::linear", 1, 0, 10),
                ev("aten::t", 1, 0, 2),
                ev("aten::matmul", 1, 2, 8),
                ev("aten::mm", 1, 3, 6),
                ev("aten::add", 1, 10, 2),
                ev("autograd::MmBackward0", 2, 5, 3))
            + ",{\"name\":\"no duration\"}]";
    JsonNode t = JSON.readTree(trace);
    Map<String, Object> s = OpProfile.summarize(t, 0.05, "main");
    assertEquals(6, s.get("events"));
    assertEquals(3, s.get("top_level_ops"));
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> byName = (Map<String, Map<String, Object>>) s.get("by_name");
    assertEquals(
        List.of("aten::add", "aten::linear", "autograd::MmBackward0"),
        List.copyOf(byName.keySet()));
    assertEquals(0.01, byName.get("aten::linear").get("host_ms"));
    // The caller is the thread with the most top-level host time (thread 1: 12 us).
    assertEquals(0.012, s.get("in_libtorch_ms"));
    assertEquals(0.038, s.get("outside_libtorch_ms"));
    // Longest top-level ops first, with their start from the trace's first event (ms).
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> longest = (List<Map<String, Object>>) s.get("longest");
    assertEquals(3, longest.size());
    assertEquals("aten::linear", longest.get(0).get("name"));
    assertEquals("caller", longest.get(0).get("thread"));
    assertEquals("autograd::MmBackward0", longest.get(1).get("name"));
    assertEquals("engine/autograd", longest.get(1).get("thread"));
    assertEquals(0.005, longest.get(1).get("at_ms"));
    // linear ends at 10 and add starts at 10: no gap on the caller's thread.
    assertEquals(List.of(), s.get("caller_gaps"));
  }

  @Test
  void callerGapsAreTheTimesBetweenItsTopLevelOps() throws Exception {
    String trace =
        "["
            + String.join(
                ",",
                ev("aten::a", 1, 0, 10),
                ev("aten::b", 1, 14, 10),
                ev("aten::c", 1, 124, 10),
                ev("autograd::X", 2, 30, 3))
            + "]";
    Map<String, Object> s = OpProfile.summarize(JSON.readTree(trace), 0.2, "main");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> gaps = (List<Map<String, Object>>) s.get("caller_gaps");
    assertEquals(2, gaps.size());
    assertEquals("aten::b", gaps.get(0).get("after"));
    assertEquals("aten::c", gaps.get(0).get("before"));
    assertEquals(0.024, gaps.get(0).get("at_ms"));
    assertEquals(0.1, gaps.get(0).get("gap_ms"));
    assertEquals(0.004, gaps.get(1).get("gap_ms"));
  }

  @Test
  void theCallerIsNotTheBackwardThreadEvenWhenThatSpendsMoreTime() throws Exception {
    // Thread 1 (the caller) spends 6 us in ops, thread 2 (backward nodes) 30 us.
    String trace =
        "["
            + String.join(
                ",",
                ev("aten::mm", 1, 0, 3),
                ev("aten::to", 1, 50, 3),
                ev("autograd::engine::evaluate_function: MmBackward0", 2, 10, 20),
                ev("autograd::engine::evaluate_function: AddBackward0", 2, 30, 10))
            + "]";
    Map<String, Object> s = OpProfile.summarize(JSON.readTree(trace), 0.1, "main");
    assertEquals(0.006, s.get("in_libtorch_ms"));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> threads = (List<Map<String, Object>>) s.get("threads");
    assertEquals("caller (main)", threads.get(0).get("role"));
    assertEquals("engine/autograd", threads.get(1).get("role"));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> gaps = (List<Map<String, Object>>) s.get("caller_gaps");
    assertEquals("aten::mm", gaps.get(0).get("after"));
    assertEquals(0.047, gaps.get(0).get("gap_ms"));
  }

  @Test
  void recordCountsTheOpsOfTheWorkItWraps(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
      ai.djl.ndarray.NDArray a = m.ones(new ai.djl.ndarray.types.Shape(4, 4));
      Map<String, Object> s = OpProfile.record(dir, "work", () -> a.add(a).mul(a).exp().close());
      @SuppressWarnings("unchecked")
      Map<String, Map<String, Object>> byName = (Map<String, Map<String, Object>>) s.get("by_name");
      // add, mul, exp: one top-level op each, nothing else called from this thread.
      assertEquals(1L, byName.get("aten::add").get("count"));
      assertEquals(1L, byName.get("aten::mul").get("count"));
      assertEquals(1L, byName.get("aten::exp").get("count"));
      assertEquals(3, s.get("top_level_ops"));
      JsonNode written = JSON.readTree(dir.resolve("work.summary.json").toFile());
      assertEquals(3, written.path("top_level_ops").asInt());
    }
  }

  @Test
  void environmentValueIsValidated() {
    assertThrows(BadInputException.class, () -> OpProfile.parse("three"));
    assertThrows(BadInputException.class, () -> OpProfile.parse("-1"));
    OpProfile.parse(null).before(1); // off: starts nothing
    OpProfile.parse("0").before(0);
  }
}
