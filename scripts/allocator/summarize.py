#!/usr/bin/env python3
"""Summarises a scripts/allocator-compare output directory into summary.json and table.md (docs/benchmarks.md).

Per candidate, over rounds: the fresh-memory microbenchmark (median ms), the short varied-shape distillation
(tokens/s per stage, RSS start/end/max, RSS slope over the second half in MiB per 100 steps), the reduced CPU bench
(decode ms at each context, prefill ms at each length, per model) and the quickstart (wall seconds of its training,
held-out accuracies). Noise: for each figure, the spread between rounds of the same candidate is given as min-max.
"""
import json
import os
import re
import sys

out = sys.argv[1]


def load(p):
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def rss_series(run):
    pts, offset = [], 0
    files = [os.path.join(run, "stage1/train/metrics.jsonl"), os.path.join(run, "stage2/train/metrics.jsonl")]
    st = os.path.join(run, "students")
    if os.path.isdir(st):
        for s in sorted(os.listdir(st)):
            for dp, _, fs in os.walk(os.path.join(st, s)):
                if "metrics.jsonl" in fs:
                    files.append(os.path.join(dp, "metrics.jsonl"))
    for f in files:
        if not os.path.exists(f):
            continue
        last = 0
        for line in open(f):
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if "step" in j:
                last = max(last, j["step"])
            if "rss_bytes" in j:
                pts.append((j["step"] + offset, j["rss_bytes"] / 2**20))
        offset += last
    return pts


def slope(pts):
    if len(pts) < 3:
        return None
    n = len(pts)
    ms = sum(p[0] for p in pts) / n
    mr = sum(p[1] for p in pts) / n
    sxx = sum((p[0] - ms) ** 2 for p in pts)
    return sum((p[0] - ms) * (p[1] - mr) for p in pts) / sxx if sxx else None


runs = {}
for d in sorted(os.listdir(out)):
    m = re.match(r"r(\d+)-(.+)", d)
    if not m:
        continue
    p = os.path.join(out, d)
    cand = load(os.path.join(p, "candidate.json")) or {}
    r = {"round": int(m.group(1)), "allocator": cand.get("allocator")}
    micro = load(os.path.join(p, "micro.json"))
    if micro:
        r["fresh_div_8m_ms"] = micro["fresh_div_8m_ms"]
    rep = load(os.path.join(p, "distill/report.json"))
    pts = rss_series(os.path.join(p, "distill"))
    if pts:
        half = pts[-1][0] / 2
        s = slope([q for q in pts if q[0] > half])
        r["distill"] = {"steps": int(pts[-1][0]), "rss_start_mib": round(pts[0][1], 1),
                        "rss_end_mib": round(pts[-1][1], 1), "rss_max_mib": round(max(q[1] for q in pts), 1),
                        "rss_slope_mib_per_100_steps": None if s is None else round(100 * s, 2)}
        if rep:
            r["distill"]["tokens_per_second"] = {k: round(v["tokens_per_second"]) for k, v in
                                                 rep.get("training", {}).items()}
        else:  # eval off: no report.json; the progress bar's rate at each stage's last step
            tps = {}
            log = os.path.join(p, "distill.log")
            for line in open(log, errors="replace") if os.path.exists(log) else []:
                mm = re.match(r"\s*(stage\S*)\s+(\d+)/(\d+)\s+100%.*?([\d.]+)(k?) tok/s", line)
                if mm:
                    tps[mm.group(1)] = round(float(mm.group(4)) * (1000 if mm.group(5) else 1))
            r["distill"]["tokens_per_second"] = tps
    b = load(os.path.join(p, "bench/bench.json"))
    if b:
        r["bench"] = {}
        for x in b["results"]:
            key = "%s %s %s" % (x["model"], x["phase"], x.get("context", x.get("length", "")))
            if "latency_ms" in x:
                r["bench"][key] = round(x["latency_ms"], 2)
    q = load(os.path.join(p, "quickstart/report.json"))
    if q:
        r["quickstart"] = {"train_seconds": round(sum(v["seconds"] for v in q["training"].values()), 1),
                           "accuracy": {k: round(v["accuracy"], 3) for k, v in q.items()
                                        if isinstance(v, dict) and "accuracy" in v}}
    runs.setdefault(m.group(2), []).append(r)

summary = {"note": "scripts/allocator-compare; each candidate ran once per round, rounds alternate the order",
           "candidates": runs}
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=2)
    f.write("\n")


def rng(vals, fmt="%.0f"):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "-"
    lo, hi = min(vals), max(vals)
    return fmt % lo if lo == hi or len(vals) == 1 else (fmt % lo) + "-" + (fmt % hi)


lines = ["| allocator (MALLOC_CONF / glibc) | fresh 8M-float op, ms | distill tok/s s1 / s2 / s3 | RSS start -> end, MiB "
         "| RSS slope, MiB/100 steps (2nd half) | RSS max, MiB |", "|---|---:|---:|---:|---:|---:|"]
for c, rs in runs.items():
    d = [r["distill"] for r in rs if "distill" in r]
    tps = lambda k: rng([x.get("tokens_per_second", {}).get(k) for x in d])
    lines.append("| %s | %s | %s / %s / %s | %s -> %s | %s | %s |" % (
        c, rng([r.get("fresh_div_8m_ms") for r in rs], "%.1f"), tps("stage1"), tps("stage2"), tps("stage3:linear"),
        rng([x["rss_start_mib"] for x in d]), rng([x["rss_end_mib"] for x in d]),
        rng([x["rss_slope_mib_per_100_steps"] for x in d], "%.1f"), rng([x["rss_max_mib"] for x in d])))
keys = sorted({k for rs in runs.values() for r in rs for k in r.get("bench", {})})
if keys:
    lines += ["", "| bench point (ms, min-max over rounds) | " + " | ".join(c for c in runs if any("bench" in r for r in runs[c])) + " |",
              "|---|" + "---:|" * sum(1 for c in runs if any("bench" in r for r in runs[c]))]
    for k in keys:
        lines.append("| %s | %s |" % (k, " | ".join(rng([r.get("bench", {}).get(k) for r in runs[c]], "%.2f")
                                                  for c in runs if any("bench" in r for r in runs[c]))))
qs = [c for c in runs if any("quickstart" in r for r in runs[c])]
if qs:
    lines += ["", "| quickstart | training seconds | held-out accuracy (teacher / linear / hybrid) |", "|---|---:|---|"]
    for c in qs:
        for r in runs[c]:
            if "quickstart" in r:
                a = r["quickstart"]["accuracy"]
                lines.append("| %s (round %d) | %.0f | %s |" % (c, r["round"], r["quickstart"]["train_seconds"],
                                                               " / ".join("%.3f" % a[k] for k in a)))
with open(os.path.join(out, "table.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
