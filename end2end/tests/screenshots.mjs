// Compares a full-page screenshot with its committed reference (end2end/screenshots/NAME.png),
// so a layout regression fails a test. Antialiasing and a masked timestamp change a few pixels
// from run to run; a moved card, a wrapped label or a chart that lost its width changes
// thousands. The tolerance sits between: a pixel counts as different past pixelmatch's colour
// threshold (0.1), and a page fails when more than MAX_DIFF of its pixels differ. A height
// change counts every row that only one image has.
//
// UPDATE_SCREENSHOTS=1 writes the references instead (after a deliberate layout change: look at
// the new images before committing them). A missing reference fails without it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import pixelmatch from 'pixelmatch';

export const MAX_DIFF = 0.005;
const DIR = new URL('../screenshots/', import.meta.url);
const OUT = new URL('../test-results/', import.meta.url);

// Pads an image to width × height with opaque magenta, so rows only one image has all differ.
function padded(png, width, height) {
  if (png.width === width && png.height === height) return png;
  const out = new PNG({ width, height });
  for (let i = 0; i < out.data.length; i += 4) out.data.set([255, 0, 255, 255], i);
  PNG.bitblt(png, out, 0, 0, png.width, png.height, 0, 0);
  return out;
}

// Compares two PNG buffers; { share, width, height, diff } with diff a PNG of what differs.
export function compare(actualBuf, expectedBuf) {
  const actual = PNG.sync.read(actualBuf);
  const expected = PNG.sync.read(expectedBuf);
  const width = Math.max(actual.width, expected.width);
  const height = Math.max(actual.height, expected.height);
  const a = padded(actual, width, height);
  const e = padded(expected, width, height);
  const diff = new PNG({ width, height });
  const differing = pixelmatch(a.data, e.data, diff.data, width, height, { threshold: 0.1 });
  return { share: differing / (width * height), width, height, actual, expected, diff: PNG.sync.write(diff) };
}

// Takes `page`'s full-page screenshot (timestamps and ids under `mask` painted over) and checks
// it against the reference NAME.png. Returns the share of differing pixels.
export async function matchesReference(page, name, mask = []) {
  const shot = await page.screenshot({ fullPage: true, animations: 'disabled', caret: 'hide', mask, maskColor: '#888888' });
  const reference = new URL(`${name}.png`, DIR);
  if (process.env.UPDATE_SCREENSHOTS) {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(reference, shot);
    return 0;
  }
  if (!existsSync(reference)) {
    throw new Error(`no reference screenshot ${name}.png: run the browser tests with UPDATE_SCREENSHOTS=1, look at end2end/screenshots/${name}.png and commit it`);
  }
  const result = compare(shot, readFileSync(reference));
  if (result.share > MAX_DIFF) {
    mkdirSync(OUT, { recursive: true });
    writeFileSync(new URL(`${name}.actual.png`, OUT), shot);
    writeFileSync(new URL(`${name}.diff.png`, OUT), result.diff);
    throw new Error(
      `${name}: ${(result.share * 100).toFixed(2)} % of the pixels differ from the reference (at most ${MAX_DIFF * 100} %); ` +
      `reference ${result.expected.width}×${result.expected.height}, now ${result.actual.width}×${result.actual.height}; ` +
      `see end2end/test-results/${name}.actual.png and ${name}.diff.png`,
    );
  }
  return result.share;
}
