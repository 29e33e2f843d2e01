package org.mmmamba.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.mmmamba.core.BadInputException;

/** Reads {@code {"input_ids": [[...], ...]}} files (rows of equal length). */
public final class InputIds {
  private InputIds() {}

  /** Parses the file; every problem names the file. */
  public static long[][] read(Path file) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw new BadInputException(file + ": file not found");
    } catch (IOException e) {
      throw new BadInputException(file + ": not valid JSON");
    }
    JsonNode rows = root == null ? null : root.get("input_ids");
    if (rows == null || !rows.isArray() || rows.size() == 0) {
      throw new BadInputException(
          file + ": expected {\"input_ids\": [[...], ...]} with at least one row");
    }
    long[][] out = new long[rows.size()][];
    for (int i = 0; i < out.length; i++) {
      JsonNode r = rows.get(i);
      if (!r.isArray() || r.size() == 0) {
        throw new BadInputException(
            file + ": input_ids[" + i + "] must be a non-empty list of token ids");
      }
      out[i] = new long[r.size()];
      for (int t = 0; t < r.size(); t++) {
        JsonNode v = r.get(t);
        if (!v.isIntegralNumber()) {
          throw new BadInputException(
              file + ": input_ids[" + i + "][" + t + "] is not an integer: " + v);
        }
        out[i][t] = v.longValue();
      }
      if (out[i].length != out[0].length) {
        throw new BadInputException(
            file
                + ": input_ids rows must have equal length (row 0 has "
                + out[0].length
                + ", row "
                + i
                + " has "
                + out[i].length
                + ")");
      }
    }
    return out;
  }
}
