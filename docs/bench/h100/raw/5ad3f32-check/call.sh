#!/usr/bin/env bash
# Check of 5ad3f32 (the fused attention as a plain module call) on the GPU: the fp16 training points with the fused
# attention off, then on, one run each; and the unit of the fix (a fused output saved for backward) via the bench's
# stage 1-3 steps themselves (the teacher's outputs are targets there).
set -u
t0=$SECONDS; mkdir -p $OUT /tmp/o
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > /tmp/o/device.txt
nproc >> /tmp/o/device.txt; lscpu | grep -E "Model name|MHz" >> /tmp/o/device.txt
cp target/gpu/sha.txt /tmp/o/sha.txt; cp target/gpu/call14.sh /tmp/o/call.sh
source target/gpu/env.sh || exit 1
echo "export PYTORCH_LIBRARY_PATH=$PYTORCH_LIBRARY_PATH PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128 DJL_CACHE_DIR=$DJL_CACHE_DIR" > $DJL_CACHE_DIR/djl-jni.env
echo "jni+jre $((SECONDS-t0)) s" >> /tmp/o/timing.txt
for r in off1 on1; do
  t=$SECONDS; s=true; case $r in off*) s=false ;; esac
  MMMAMBA_SDPA=$s PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True timeout 60 $MMMAMBA_JAVA -jar $MMMAMBA_JAR bench --config configs/bench/h200-train.yaml --out /tmp/o/$r > /tmp/o/$r.log 2>&1
  echo "$r (MMMAMBA_SDPA=$s) exit $? in $((SECONDS-t)) s" >> /tmp/o/timing.txt
done
rm -f /tmp/o/*/*.png
tar -czf $OUT/o.tgz -C /tmp/o .
cat /tmp/o/device.txt /tmp/o/timing.txt; grep -H "stage" /tmp/o/o*.log | sed 's|/tmp/o/||' | awk '{print $1,$3,$4,$5,$(NF-1)}'
