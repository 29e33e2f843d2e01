package org.mmmamba.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mmmamba.core.BadInputException;

class DtypeTest {

  @Test
  void sizesAndKinds() {
    assertEquals(8, Dtype.F64.bytes());
    assertEquals(4, Dtype.F32.bytes());
    assertEquals(2, Dtype.F16.bytes());
    assertEquals(2, Dtype.BF16.bytes());
    assertEquals(8, Dtype.I64.bytes());
    assertEquals(4, Dtype.I32.bytes());
    assertEquals(2, Dtype.I16.bytes());
    assertEquals(1, Dtype.I8.bytes());
    assertEquals(1, Dtype.U8.bytes());
    assertEquals(1, Dtype.BOOL.bytes());
    for (Dtype d : Dtype.values()) {
      assertEquals(d.name().startsWith("F") || d == Dtype.BF16, d.isFloat(), d.name());
    }
    assertTrue(Dtype.BF16.isFloat());
    assertFalse(Dtype.BOOL.isFloat());
  }

  @Test
  void parsesEveryHeaderSpelling() {
    for (Dtype d : Dtype.values()) {
      assertEquals(d, Dtype.parse(d.name(), "x.safetensors"));
    }
  }

  @Test
  void unknownDtypeNamesFileAndDtype() {
    BadInputException e =
        assertThrows(BadInputException.class, () -> Dtype.parse("F8_E4M3", "w.safetensors"));
    assertTrue(e.getMessage().contains("w.safetensors"), e.getMessage());
    assertTrue(e.getMessage().contains("F8_E4M3"), e.getMessage());
    assertThrows(BadInputException.class, () -> Dtype.parse("f32", "w"));
    assertThrows(BadInputException.class, () -> Dtype.parse(null, "w"));
  }
}
