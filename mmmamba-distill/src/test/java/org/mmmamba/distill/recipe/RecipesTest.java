package org.mmmamba.distill.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmmamba.core.BadInputException;

/** Strict YAML binding: defaults, overrides, and errors that name file, line and key. */
class RecipesTest {
  @Test
  void defaultsApplyAndOverridesWin() {
    RunConfig c =
        Recipes.parse(
                "run:\n  name: x\nstages:\n  stage1:\n    lr: 0.01\n",
                "t.yaml",
                List.of("stages.stage3.lr=1e-5"))
            .value();
    assertEquals(0.01, c.stages().stage1().lr());
    assertEquals(1e-5, c.stages().stage3().lr());
    assertEquals(5e-4, c.stages().stage2().lr());
    assertEquals("x", c.run().name());
    assertEquals(1000.0, c.stages().stage1().lossScale());
  }

  @Test
  void unknownKeyNamesFileLineAndKey() {
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () ->
                Recipes.parse(
                    "run:\n  name: x\nstages:\n  stage1:\n    lrr: 0.01\n", "t.yaml", List.of()));
    assertTrue(
        e.getMessage().startsWith("t.yaml:5: unknown key 'stages.stage1.lrr'"), e.getMessage());
  }

  @Test
  void wrongTypeNamesLine() {
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () -> Recipes.parse("stages:\n  stage2:\n    steps: many\n", "t.yaml", List.of()));
    assertTrue(e.getMessage().startsWith("t.yaml:3: key 'stages.stage2.steps'"), e.getMessage());
  }

  @Test
  void impossibleValueNamesLineAndKey() {
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () -> Recipes.parse("stages:\n  stage1:\n    lr: -1\n", "t.yaml", List.of()));
    assertEquals("t.yaml:3: stages.stage1.lr must be > 0", e.getMessage());
  }

  @Test
  void malformedYamlIsOneLine() {
    BadInputException e =
        assertThrows(
            BadInputException.class, () -> Recipes.parse("run: [unclosed\n", "t.yaml", List.of()));
    assertTrue(e.getMessage().startsWith("t.yaml:"), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"));
  }

  @Test
  void overrideOfUnknownKeyFails() {
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () -> Recipes.parse("", "t.yaml", List.of("stages.stage9.lr=1")));
    assertTrue(e.getMessage().contains("stages.stage9"), e.getMessage());
  }
}
