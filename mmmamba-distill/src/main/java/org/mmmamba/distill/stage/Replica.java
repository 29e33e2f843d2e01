package org.mmmamba.distill.stage;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.mmmamba.core.model.DecoderModel;
import org.mmmamba.core.model.VisionLanguageModel;
import org.mmmamba.core.model.Weights;

/**
 * One data-parallel replica of stage 3 on one device (docs/scale-out.md): a root manager there, a
 * copy of the frozen teacher (vision store and decoder) and a copy of the student's decoder, every
 * tensor copied bit for bit from the originals. Replica 0 is the originals themselves and is not
 * built here. Closing frees the copies and the manager.
 *
 * @param manager the replica's root manager on its device
 * @param teacher the teacher's copy
 * @param student the student decoder's copy (layer dims as the student VLM's config says)
 */
record Replica(NDManager manager, VisionLanguageModel teacher, DecoderModel student)
    implements AutoCloseable {

  /**
   * Copies {@code teacher} and {@code student} (the decoder of {@code studentVlm}) to {@code
   * device}. Call outside gradient recording.
   */
  static Replica copy(Device device, VisionLanguageModel teacher, VisionLanguageModel studentVlm) {
    NDManager m = NDManager.newBaseManager(device);
    try {
      VisionLanguageModel t =
          new VisionLanguageModel(
              teacher.config(),
              copy(teacher.visionWeights(), m),
              new DecoderModel(
                  teacher.config().stack(),
                  copy(teacher.decoder().weights(), m),
                  teacher.config()::layerDims));
      DecoderModel s =
          new DecoderModel(
              studentVlm.config().stack(),
              copy(studentVlm.decoder().weights(), m),
              studentVlm.config()::layerDims);
      return new Replica(m, t, s);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  private static Weights copy(Weights from, NDManager m) {
    Weights w = new Weights(m, from.dtype());
    for (String n : from.names()) {
      NDArray a = from.get(n);
      // duplicate() is torch's clone(): a copy even on the same device.
      NDArray c =
          a.getDevice().equals(m.getDevice()) ? a.duplicate() : a.toDevice(m.getDevice(), true);
      w.put(n, c);
    }
    return w;
  }

  @Override
  public void close() {
    student.close();
    teacher.close();
    manager.close();
  }
}
