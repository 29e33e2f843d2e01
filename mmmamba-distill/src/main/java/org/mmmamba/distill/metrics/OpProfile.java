package org.mmmamba.distill.metrics;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.mmmamba.core.BadInputException;

/**
 * Counts the engine operations of one optimiser step: libtorch's profiler (DJL's {@code
 * JniUtils.startProfile}/{@code stopProfile}) is on for exactly that step, its trace goes to {@code
 * profile/step-N.trace.json} in the stage directory, and a summary to {@code
 * profile/step-N.summary.json}:
 *
 * <ul>
 *   <li>{@code top_level_ops}: operations called from outside libtorch (by our Java code through
 *       DJL, or by autograd's backward), i.e. the ops a launch/JNI cost is paid for; nested calls
 *       (an op's own sub-ops) are not counted;
 *   <li>{@code by_name}: count and summed host time (µs) of the top-level ops per name, largest
 *       first;
 *   <li>per thread (the caller's thread, autograd's worker threads): count and host time;
 *   <li>{@code wall_ms}: the step's wall time, and {@code in_libtorch_ms}: the host time inside
 *       top-level ops of the caller's thread; the difference is the time the caller's thread spent
 *       outside libtorch (Java, DJL, JNI and waiting for the device at the loss read-back).
 * </ul>
 *
 * <p>On a GPU, host times are launch times (the kernels run asynchronously), so a step whose wall
 * time is close to {@code top_level_ops} × the per-op host cost is bound by launches, not by the
 * device. Enabled by the environment variable {@code MMMAMBA_PROFILE_STEP=N} (profile step N of
 * every training stage; docs/cuda.md#profile); off by default (the profiler slows the step it
 * records).
 */
public final class OpProfile {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final long step;
  private boolean active;
  private long startNanos;

  private OpProfile(long step) {
    this.step = step;
  }

  /** Off. */
  public static OpProfile off() {
    return new OpProfile(0);
  }

  /** From {@code MMMAMBA_PROFILE_STEP} (unset or 0: off). */
  public static OpProfile fromEnvironment() {
    return parse(System.getenv("MMMAMBA_PROFILE_STEP"));
  }

  /** From the variable's value (null or blank: off). */
  static OpProfile parse(String value) {
    if (value == null || value.isBlank()) {
      return off();
    }
    try {
      long n = Long.parseLong(value.trim());
      if (n < 0) {
        throw new NumberFormatException();
      }
      return new OpProfile(n);
    } catch (NumberFormatException e) {
      throw new BadInputException(
          "MMMAMBA_PROFILE_STEP: must be a step number >= 1 (0 = off), got '" + value + "'");
    }
  }

  /** Starts the profiler when {@code stepNumber} (1-based) is the profiled step. */
  public void before(long stepNumber) {
    if (step > 0 && stepNumber == step) {
      JniUtils.startProfile(false, true, false);
      active = true;
      startNanos = System.nanoTime();
    }
  }

  /**
   * Stops the profiler after the profiled step and writes its trace and summary under {@code
   * dir/profile/}; returns the summary, or null when this step was not profiled.
   */
  public Map<String, Object> after(long stepNumber, Path dir) throws IOException {
    if (!active || stepNumber != step) {
      return null;
    }
    double wallMs = (System.nanoTime() - startNanos) / 1e6;
    active = false;
    Map<String, Object> summary =
        stopAndSummarize(dir.resolve("profile"), "step-" + stepNumber, wallMs);
    summary.put("step", stepNumber);
    return summary;
  }

  /**
   * Stops the profiler, writes {@code dir/name.trace.json} and {@code dir/name.summary.json} and
   * returns the summary.
   */
  private static Map<String, Object> stopAndSummarize(Path dir, String name, double wallMs)
      throws IOException {
    Files.createDirectories(dir);
    Path trace = dir.resolve(name + ".trace.json");
    JniUtils.stopProfile(trace.toString());
    Map<String, Object> summary =
        summarize(JSON.readTree(trace.toFile()), wallMs, Thread.currentThread().getName());
    summary.put("trace", trace.getFileName().toString());
    JSON.writeValue(dir.resolve(name + ".summary.json").toFile(), summary);
    return summary;
  }

  /**
   * Records {@code work} (any piece of engine work, e.g. one decode token) with libtorch's profiler
   * and writes {@code dir/<name>.trace.json} and {@code dir/<name>.summary.json}, the same summary
   * as a training step's; returns it.
   */
  public static Map<String, Object> record(Path dir, String name, Runnable work)
      throws IOException {
    Files.createDirectories(dir);
    JniUtils.startProfile(false, true, false);
    long t0 = System.nanoTime();
    try {
      work.run();
    } catch (RuntimeException | Error e) {
      JniUtils.stopProfile(dir.resolve(name + ".trace.json").toString());
      throw e;
    }
    return stopAndSummarize(dir, name, (System.nanoTime() - t0) / 1e6);
  }

  /** One trace event: name, thread, start and duration in µs. */
  record Event(String name, long tid, double ts, double dur) {}

  /**
   * The summary of a chrome-trace array (libtorch's legacy profiler output: objects with {@code
   * name}, {@code ts}, {@code dur}, {@code tid}). An event is top-level when no other event of the
   * same thread encloses it. The caller's thread is the one with the most top-level host time.
   */
  static Map<String, Object> summarize(JsonNode trace, double wallMs, String callerName) {
    List<Event> events = new ArrayList<>();
    for (JsonNode e : trace) {
      if (!e.has("dur") || !e.has("ts")) {
        continue;
      }
      events.add(
          new Event(
              e.path("name").asText(),
              e.path("tid").asLong(),
              e.path("ts").asDouble(),
              e.path("dur").asDouble()));
    }
    List<Event> top = topLevel(events);
    Map<String, long[]> counts = new TreeMap<>();
    Map<String, double[]> micros = new TreeMap<>();
    Map<Long, double[]> perThread = new TreeMap<>();
    for (Event e : top) {
      counts.computeIfAbsent(e.name(), k -> new long[1])[0]++;
      micros.computeIfAbsent(e.name(), k -> new double[1])[0] += e.dur();
      double[] t = perThread.computeIfAbsent(e.tid(), k -> new double[2]);
      t[0]++;
      t[1] += e.dur();
    }
    long caller = caller(top, perThread);
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("wall_ms", round(wallMs));
    s.put("events", events.size());
    s.put("top_level_ops", top.size());
    double callerMs = perThread.containsKey(caller) ? perThread.get(caller)[1] / 1000 : 0;
    s.put("in_libtorch_ms", round(callerMs));
    s.put("outside_libtorch_ms", round(wallMs - callerMs));
    List<Map<String, Object>> threads = new ArrayList<>();
    for (Map.Entry<Long, double[]> t : perThread.entrySet()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("tid", t.getKey());
      m.put("role", t.getKey() == caller ? "caller (" + callerName + ")" : "engine/autograd");
      m.put("ops", (long) t.getValue()[0]);
      m.put("host_ms", round(t.getValue()[1] / 1000));
      threads.add(m);
    }
    s.put("threads", threads);
    List<Map.Entry<String, long[]>> names = new ArrayList<>(counts.entrySet());
    names.sort(
        Comparator.comparingLong((Map.Entry<String, long[]> x) -> -x.getValue()[0])
            .thenComparing(Map.Entry::getKey));
    Map<String, Object> byName = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> n : names) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("count", n.getValue()[0]);
      m.put("host_ms", round(micros.get(n.getKey())[0] / 1000));
      byName.put(n.getKey(), m);
    }
    s.put("by_name", byName);
    s.put("longest", longest(top, caller, LONGEST));
    s.put("caller_gaps", callerGaps(top, caller, LONGEST));
    return s;
  }

  /**
   * The caller's thread: among the threads whose top-level ops are mostly not autograd's backward
   * nodes ({@code autograd::engine::evaluate_function: ...}), the one with the most top-level host
   * time; when every thread is mostly backward nodes, the one with the most host time. (Host time
   * alone is not enough: on a GPU the backward thread may spend more time in libtorch than the
   * caller.)
   */
  static long caller(List<Event> top, Map<Long, double[]> perThread) {
    Map<Long, long[]> backwardNodes = new TreeMap<>();
    for (Event e : top) {
      long[] c = backwardNodes.computeIfAbsent(e.tid(), k -> new long[2]);
      c[0]++;
      if (e.name().startsWith("autograd::engine::evaluate_function")) {
        c[1]++;
      }
    }
    Comparator<Map.Entry<Long, double[]>> byTime = Comparator.comparingDouble(x -> x.getValue()[1]);
    return perThread.entrySet().stream()
        .filter(x -> 2 * backwardNodes.get(x.getKey())[1] < backwardNodes.get(x.getKey())[0])
        .max(byTime)
        .or(() -> perThread.entrySet().stream().max(byTime))
        .map(Map.Entry::getKey)
        .orElse(-1L);
  }

  /** How many entries {@code longest} and {@code caller_gaps} list. */
  static final int LONGEST = 15;

  /**
   * The {@code n} longest top-level ops, longest first, each with its thread's role and its start
   * from the first event of the trace: on a GPU a host read of device data (an {@code aten::to} to
   * the CPU, an {@code aten::item}) lasts until the device has caught up, so the longest ops show
   * where the host waited and how long.
   */
  static List<Map<String, Object>> longest(List<Event> top, long caller, int n) {
    double t0 = top.stream().mapToDouble(Event::ts).min().orElse(0);
    List<Event> sorted = new ArrayList<>(top);
    sorted.sort(Comparator.comparingDouble((Event e) -> -e.dur()).thenComparingDouble(Event::ts));
    List<Map<String, Object>> out = new ArrayList<>();
    for (Event e : sorted.subList(0, Math.min(n, sorted.size()))) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", e.name());
      m.put("thread", e.tid() == caller ? "caller" : "engine/autograd");
      m.put("at_ms", round((e.ts() - t0) / 1000));
      m.put("host_ms", round(e.dur() / 1000));
      out.add(m);
    }
    return out;
  }

  /**
   * The {@code n} longest gaps between consecutive top-level ops of the caller's thread, longest
   * first: time the caller spent outside libtorch (Java and DJL, or waiting for backward, which
   * runs on autograd's thread), with the ops on either side.
   */
  static List<Map<String, Object>> callerGaps(List<Event> top, long caller, int n) {
    double t0 = top.stream().mapToDouble(Event::ts).min().orElse(0);
    List<Event> mine = new ArrayList<>();
    for (Event e : top) {
      if (e.tid() == caller) {
        mine.add(e);
      }
    }
    mine.sort(Comparator.comparingDouble(Event::ts));
    List<double[]> gaps = new ArrayList<>(); // {gap, index of the op before}
    for (int i = 1; i < mine.size(); i++) {
      Event a = mine.get(i - 1);
      double gap = mine.get(i).ts() - (a.ts() + a.dur());
      if (gap > 0) {
        gaps.add(new double[] {gap, i - 1});
      }
    }
    gaps.sort(Comparator.comparingDouble((double[] g) -> -g[0]));
    List<Map<String, Object>> out = new ArrayList<>();
    for (double[] g : gaps.subList(0, Math.min(n, gaps.size()))) {
      Event a = mine.get((int) g[1]);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("after", a.name());
      m.put("before", mine.get((int) g[1] + 1).name());
      m.put("at_ms", round((a.ts() + a.dur() - t0) / 1000));
      m.put("gap_ms", round(g[0] / 1000));
      out.add(m);
    }
    return out;
  }

  /** The events not enclosed by another event of their thread. */
  static List<Event> topLevel(List<Event> events) {
    Map<Long, List<Event>> byThread = new TreeMap<>();
    for (Event e : events) {
      byThread.computeIfAbsent(e.tid(), k -> new ArrayList<>()).add(e);
    }
    List<Event> top = new ArrayList<>();
    for (List<Event> list : byThread.values()) {
      // Earlier start first; at equal starts the longer (enclosing) event first.
      list.sort(Comparator.comparingDouble(Event::ts).thenComparingDouble(e -> -e.dur()));
      Deque<Double> openEnds = new ArrayDeque<>();
      for (Event e : list) {
        while (!openEnds.isEmpty() && openEnds.peek() <= e.ts()) {
          openEnds.pop();
        }
        if (openEnds.isEmpty()) {
          top.add(e);
        }
        double end = e.ts() + e.dur();
        if (openEnds.isEmpty() || end <= openEnds.peek()) {
          openEnds.push(end);
        }
      }
    }
    return top;
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
