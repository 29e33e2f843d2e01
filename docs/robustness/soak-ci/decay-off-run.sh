#!/usr/bin/env bash
# The LauncherSoakTest command line, run by hand with the old decay-off setting (MALLOC_CONF kept by the launcher).
set -euo pipefail
R=/work/wt/i12
D=/tmp/i12/soakci
MMMAMBA_JAR=/tmp/i12/cli-b.jar MMMAMBA_THREADS=1 MMMAMBA_QUIET=1 "$R/scripts/mmmamba" data shapes --out $D/data --seed 5 --train 1500 --test 20 --image-size 64 --filler 12
sched="{type: wsd, warmup: 50, stable: 900, decay: 50}"
MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1 MMMAMBA_JAR=/tmp/i12/cli-b.jar MMMAMBA_THREADS=1 MMMAMBA_MEMORY_EVERY=20 \
  "$R/scripts/mmmamba" distill --config $R/configs/quickstart.yaml --set run.out_dir=$D/run \
  --set teacher.path=$R/models/shapes-teacher --set data.train=$D/data/train.json --set data.test=$D/data/test.json \
  --set data.batch_size=2 --set "students=[{name: linear, layout: linear}]" \
  --set stages.stage1.steps=1000 --set "stages.stage1.schedule=$sched" --set stages.stage2.steps=1000 \
  --set "stages.stage2.schedule=$sched" --set stages.stage3.enabled=false --set eval.enabled=false --set checkpoint.every=500
"$R/scripts/rss-summary" $D/run/stage1/train/metrics.jsonl $D/run/stage2/train/metrics.jsonl > $D/summary.json
