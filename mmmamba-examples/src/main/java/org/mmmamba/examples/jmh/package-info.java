/**
 * JMH microbenchmarks of the runtime's hot kernels: the Mamba-2 chunked scan and recurrent step,
 * and causal attention (a prefill block and one decode token against a long KV cache). Run with
 * {@code scripts/jmh} (arguments go to JMH, e.g. {@code scripts/jmh SsdScanBench -p length=1024});
 * {@code mvn verify} only compiles them.
 *
 * <p>Every benchmark sets the engine's intra-op threads from its {@code threads} parameter (default
 * 1, the steadier choice on a small shared CPU; pass {@code -p threads=2} to compare), runs each
 * invocation inside an {@code NDScope} and ends with a host read, so the whole native work is timed
 * and nothing leaks.
 */
package org.mmmamba.examples.jmh;
