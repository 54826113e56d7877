import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { writeFileAtomic } from '../cli/files.js';
import type { RenderedReport } from '../report/report.js';

const require = createRequire(import.meta.url);

/** The fonts every PNG is drawn with: shipped in npm, so pictures look the same on any machine, with or without system fonts. */
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => require.resolve(`dejavu-fonts-ttf/ttf/${f}`));

/** An SVG document as PNG, drawn at `zoom` times its size (2 keeps text sharp on high-density screens). */
export function svgToPng(svg: string, zoom = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: zoom },
    font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/**
 * Writes a report into `dir`: each figure as SVG and PNG, then report.html.
 * Every file is written atomically, so a crash leaves earlier files whole.
 */
export function writeReportFiles(dir: string, report: RenderedReport): string[] {
  const written: string[] = [];
  for (const figure of report.figures) {
    writeFileAtomic(join(dir, `${figure.name}.svg`), figure.svg);
    writeFileAtomic(join(dir, `${figure.name}.png`), svgToPng(figure.svg));
    written.push(`${figure.name}.svg`, `${figure.name}.png`);
  }
  writeFileAtomic(join(dir, 'report.html'), report.html);
  written.push('report.html');
  return written;
}
