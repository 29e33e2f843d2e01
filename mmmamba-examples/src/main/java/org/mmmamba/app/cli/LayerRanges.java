package org.mmmamba.app.cli;

import java.util.ArrayList;
import java.util.List;
import org.mmmamba.core.BadInputException;

/** Parses layer selections like "8-15" or "0,2,5-7". */
final class LayerRanges {
  private LayerRanges() {}

  static List<Integer> parse(String s) {
    List<Integer> out = new ArrayList<>();
    try {
      for (String part : s.split(",")) {
        String p = part.trim();
        int dash = p.indexOf('-');
        if (dash > 0) {
          int a = Integer.parseInt(p.substring(0, dash).trim());
          int b = Integer.parseInt(p.substring(dash + 1).trim());
          if (b < a) {
            throw new BadInputException("--layers " + s + ": range " + p + " is empty");
          }
          for (int i = a; i <= b; i++) {
            out.add(i);
          }
        } else {
          out.add(Integer.parseInt(p));
        }
      }
    } catch (NumberFormatException e) {
      throw new BadInputException(
          "--layers " + s + ": expected ranges like 8-15 or lists like 0,2,5");
    }
    return out;
  }
}
