# Sourced by scripts/mmmamba (and scripts/allocator-compare): picks the native allocator of the JVM for a command
# and exports LD_PRELOAD, MALLOC_CONF and MMMAMBA_ALLOCATOR (what every report and bench.json records).
#
# Default (chosen by measurement, docs/benchmarks.md#allocator): jemalloc with finite decay, i.e. freed pages go
# back to the OS after about a second without reuse. Hot loops that free and re-allocate the same large buffers
# within a step keep them (the 14x fresh-memory speed-up of jemalloc stays), while a long run over varied tensor
# shapes stays flat. Decay off (dirty_decay_ms:-1) never gives memory back: 40 MB/step of growth on a varied-shape
# dataset, OOM after ~600 steps (docs/robustness.md).
#   MALLOC_CONF=...        your own jemalloc settings (kept as given)
#   MMMAMBA_NO_JEMALLOC=1  glibc malloc (then GLIBC_TUNABLES / MALLOC_*_ apply and are recorded)
# Per command (measured on the idle VM, docs/benchmarks.md#allocator): training and evaluation commands get
# the bounded setting above (decay off grew 300-420 MiB per 100 steps of the varied-shape recipe there; the
# bounded setting costs 10-25 % of training throughput against it). The inference commands bench, generate and
# logits are short-lived processes over few tensor shapes (bench runs every point in a child JVM of its own), so
# they keep decay off: 1.35-1.9x faster prefill at 2K tokens, the same decode.
# Usage: mmmamba_allocator <command>
mmmamba_default_malloc_conf() {
  case "${1:-}" in
    bench|generate|logits) echo "dirty_decay_ms:-1,muzzy_decay_ms:-1" ;;
    *) echo "oversize_threshold:0,dirty_decay_ms:1000,muzzy_decay_ms:1000" ;;
  esac
}

mmmamba_allocator() {
  local alloc="glibc malloc" lib tun=""
  if [ -z "${MMMAMBA_NO_JEMALLOC:-}" ]; then
    for lib in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib64/libjemalloc.so.2 /usr/local/lib/libjemalloc.so.2 \
        /usr/lib/aarch64-linux-gnu/libjemalloc.so.2; do
      if [ -f "$lib" ]; then
        export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
        export MALLOC_CONF="${MALLOC_CONF:-$(mmmamba_default_malloc_conf "${1:-}")}"
        alloc="jemalloc ($lib, $MALLOC_CONF)"
        break
      fi
    done
  fi
  if [ "$alloc" = "glibc malloc" ]; then
    [ -n "${GLIBC_TUNABLES:-}" ] && tun="GLIBC_TUNABLES=$GLIBC_TUNABLES"
    local v
    for v in MALLOC_ARENA_MAX MALLOC_MMAP_THRESHOLD_ MALLOC_TRIM_THRESHOLD_ MALLOC_TOP_PAD_; do
      if [ -n "${!v:-}" ]; then tun="${tun:+$tun,}$v=${!v}"; fi
    done
    [ -n "$tun" ] && alloc="glibc malloc ($tun)"
  fi
  export MMMAMBA_ALLOCATOR="$alloc"
}
