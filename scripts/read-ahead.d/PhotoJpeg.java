import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.File;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Turns the PNGs of a `mmmamba data shapes` directory into photo-like 640x480 JPEGs (the picture
 * scaled, plus pixel noise, so the JPEG does not compress to nothing), as COCO-sized images of a
 * LLaVA dataset: the decoding and tiling cost per sample of a real dataset. Run by scripts/read-ahead
 * with the JDK's source launcher: java PhotoJpeg.java IMAGES_DIR.
 */
public class PhotoJpeg {
  public static void main(String[] a) throws Exception {
    Random r = new Random(5);
    File[] files = new File(a[0]).listFiles();
    java.util.Arrays.sort(files);
    for (File f : files) {
      if (!f.getName().endsWith(".png")) {
        continue;
      }
      BufferedImage src = ImageIO.read(f);
      BufferedImage out = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = out.createGraphics();
      g.drawImage(src, 0, 0, 640, 480, null);
      g.dispose();
      for (int y = 0; y < 480; y++) {
        for (int x = 0; x < 640; x++) {
          int p = out.getRGB(x, y);
          int n = r.nextInt(25) - 12;
          int rr = Math.max(0, Math.min(255, ((p >> 16) & 255) + n));
          int gg = Math.max(0, Math.min(255, ((p >> 8) & 255) + n));
          int bb = Math.max(0, Math.min(255, (p & 255) + n));
          out.setRGB(x, y, rr << 16 | gg << 8 | bb);
        }
      }
      ImageIO.write(out, "jpg", new File(f.getPath().replace(".png", ".jpg")));
      if (!f.delete()) {
        throw new IllegalStateException("cannot delete " + f);
      }
    }
  }
}
