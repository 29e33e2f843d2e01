package org.mmmamba.distill.data;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Paths of the hand-made files under {@code src/test/resources/data/}. */
final class TestData {
  private TestData() {}

  static Path resource(String name) {
    try {
      return Path.of(TestData.class.getResource("/data/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("missing test resource data/" + name, e);
    }
  }

  static Path root() {
    return resource("broken.jsonl").getParent();
  }
}
