#!/usr/bin/env bash
# bench of HEAD (sha.txt) + the same-card peer; one tarball
set -u
t0=$SECONDS; mkdir -p $OUT /tmp/o
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > /tmp/o/device.txt
nproc >> /tmp/o/device.txt; lscpu | grep -E "Model name|MHz" >> /tmp/o/device.txt
cp target/gpu/sha.txt /tmp/o/sha.txt; cp target/gpu/call12.sh /tmp/o/call.sh
source target/gpu/env.sh || exit 1
echo "export PYTORCH_LIBRARY_PATH=$PYTORCH_LIBRARY_PATH PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128 DJL_CACHE_DIR=$DJL_CACHE_DIR" > $DJL_CACHE_DIR/djl-jni.env
echo "jni+jre $((SECONDS-t0)) s" >> /tmp/o/timing.txt
t=$SECONDS
PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True timeout 220 $MMMAMBA_JAVA -jar $MMMAMBA_JAR bench --config configs/bench/h200.yaml --out /tmp/o/bench > /tmp/o/bench.log 2>&1
echo "bench exit $? in $((SECONDS-t)) s" >> /tmp/o/timing.txt
t=$SECONDS
timeout 100 python3 scripts/gpu-peer --out /tmp/o/peer.json > /tmp/o/peer.log 2>&1
echo "peer exit $? in $((SECONDS-t)) s" >> /tmp/o/timing.txt
find /tmp/o -name "*.trace.json" -delete
rm -f /tmp/o/*/*.png
tar -czf $OUT/o.tgz -C /tmp/o .
cat /tmp/o/device.txt /tmp/o/timing.txt; grep -E "stage[123]|decode" /tmp/o/bench.log | tail -30
