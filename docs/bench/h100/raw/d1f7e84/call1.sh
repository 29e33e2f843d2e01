#!/usr/bin/env bash
# A/B of the fused teacher attention (Sdpa) on the training points: MMMAMBA_SDPA=false (off) vs default (on), same
# jar, interleaved; tf32 and fp16-mixed. On an H200 also the full bench (on) and the same-call peer.
set -u
t0=$SECONDS; mkdir -p $OUT /tmp/o
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > /tmp/o/device.txt
nproc >> /tmp/o/device.txt; lscpu | grep -E "Model name|MHz" >> /tmp/o/device.txt
cp target/gpu/sha.txt /tmp/o/sha.txt; cp target/gpu/call11.sh /tmp/o/call.sh
source target/gpu/env.sh || exit 1
echo "export PYTORCH_LIBRARY_PATH=$PYTORCH_LIBRARY_PATH PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128 DJL_CACHE_DIR=$DJL_CACHE_DIR" > $DJL_CACHE_DIR/djl-jni.env
echo "jni+jre $((SECONDS-t0)) s" >> /tmp/o/timing.txt
sed 's/^precision: \[fp16\]/precision: [tf32, fp16]/' configs/bench/h200-train.yaml > /tmp/ab.yaml
ab() {
  for r in "$@"; do
    t=$SECONDS; s=true; case $r in off*) s=false ;; esac
    MMMAMBA_SDPA=$s PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True timeout 100 $MMMAMBA_JAVA -jar $MMMAMBA_JAR bench --config /tmp/ab.yaml --out /tmp/o/$r > /tmp/o/$r.log 2>&1
    echo "$r (MMMAMBA_SDPA=$s) exit $? in $((SECONDS-t)) s" >> /tmp/o/timing.txt
  done
}
if grep -q H200 /tmp/o/device.txt; then
  t=$SECONDS
  PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True timeout 200 $MMMAMBA_JAVA -jar $MMMAMBA_JAR bench --config configs/bench/h200.yaml --out /tmp/o/bench > /tmp/o/bench.log 2>&1
  echo "bench exit $? in $((SECONDS-t)) s" >> /tmp/o/timing.txt
  t=$SECONDS
  timeout 90 python3 scripts/gpu-peer --out /tmp/o/peer.json > /tmp/o/peer.log 2>&1
  echo "peer exit $? in $((SECONDS-t)) s" >> /tmp/o/timing.txt
  ab off1 on1 off2 on2
else
  ab off1 on1 off2 on2 off3 on3
  if [ $((SECONDS-t0)) -lt 330 ]; then
    t=$SECONDS
    PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True timeout 200 $MMMAMBA_JAVA -jar $MMMAMBA_JAR bench --config configs/bench/h200.yaml --out /tmp/o/bench > /tmp/o/bench.log 2>&1
    echo "bench exit $? in $((SECONDS-t)) s" >> /tmp/o/timing.txt
  fi
fi
find /tmp/o -name "*.trace.json" -delete
rm -f /tmp/o/*/*.png
tar -czf $OUT/o.tgz -C /tmp/o .
cat /tmp/o/device.txt /tmp/o/timing.txt; grep -H "stage3" /tmp/o/o*.log | sed 's|/tmp/o/||' | head -40
