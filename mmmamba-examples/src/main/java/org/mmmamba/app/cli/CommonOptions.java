package org.mmmamba.app.cli;

import picocli.CommandLine.Option;

/** Options every model-running command takes. */
public final class CommonOptions {
  @Option(
      names = "--dtype",
      defaultValue = "float32",
      description = "Compute dtype: float32 (default), float64.")
  String dtype;

  @Option(
      names = "--device",
      defaultValue = "auto",
      description = "auto (GPU if DJL has CUDA), cpu, gpu, gpuN.")
  String device;

  @Option(names = "--verbose", description = "Print stack traces on errors.")
  boolean verbose;
}
