package org.mmmamba.app.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.mmmamba.core.BadInputException;

/** Checks of output paths made before any work, so a typo costs nothing. */
final class OutPaths {
  private OutPaths() {}

  /** An output file's directory must exist, and the file must not be a directory. */
  static Path requireWritableFile(Path out, String option) {
    Path parent = out.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new BadInputException(option + " " + out + ": directory " + parent + " does not exist");
    }
    if (Files.isDirectory(out)) {
      throw new BadInputException(option + " " + out + ": is a directory, expected a file");
    }
    return out;
  }
}
