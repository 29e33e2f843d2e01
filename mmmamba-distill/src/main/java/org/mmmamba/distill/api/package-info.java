/**
 * The library's front door for notebooks and for Java code that depends on {@code mmmamba-distill}: one static
 * facade ({@link org.mmmamba.app.MmMamba}) over the same public APIs the command line runs, plus two
 * helpers notebooks need ({@link org.mmmamba.distill.api.ImageQa} to put image questions to a model,
 * {@link org.mmmamba.distill.api.Pictures} to show images).
 *
 * <pre>{@code
 * Path teacherDir = MmMamba.bundledTeacher();                      // models/shapes-teacher
 * VisionLanguageModel teacher = MmMamba.loadTeacher(teacherDir);
 * VisionLanguageModel hybrid = MmMamba.convert(teacher, "head-interleaved:2", "inherit_mimic");
 * Distillation.Result r = MmMamba.distill(MmMamba.home().resolve("configs/quickstart.yaml"),
 *     "stages.stage1.steps=10", "run.out_dir=/tmp/qs");
 * }</pre>
 *
 * <p>Shape glossary used by the Javadoc of this package: B batch, L sequence length, D hidden size, V vocabulary,
 * T tiles of an image, S tile side in pixels.
 */
package org.mmmamba.distill.api;
