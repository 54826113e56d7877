import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { lineChart } from '../../src/report/chart.js';
import { gridPixels, plasma, rgbOf } from '../../src/report/colors.js';
import { encodePng } from '../../src/report/png.js';
import { linearScale, logScale, niceStep } from '../../src/report/scale.js';
import { SEED_AREA } from '../../src/report/grid.js';

/** Reads back an 8-bit RGBA PNG with no filters, checking every chunk's CRC with zlib's own crc32. */
function decodePng(png: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  while (at < png.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    expect(view.getUint32(at + 8 + length)).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = new Uint8Array(width * height * 4);
  for (let row = 0; row < height; row++) {
    expect(raw[row * (width * 4 + 1)]).toBe(0);
    rgba.set(raw.subarray(row * (width * 4 + 1) + 1, (row + 1) * (width * 4 + 1)), row * width * 4);
  }
  return { width, height, rgba };
}

/** The textbook bitwise CRC-32, independent of the encoder's table. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('PNG encoding', () => {
  it('round-trips pixels through a standard inflate, with valid chunk checksums', () => {
    const rgba = new Uint8Array(3 * 2 * 4).map((_, i) => (i * 37) % 256);
    const back = decodePng(encodePng(rgba, 3, 2));
    expect([back.width, back.height]).toEqual([3, 2]);
    expect(Array.from(back.rgba)).toEqual(Array.from(rgba));
  });

  it('refuses a buffer that is not width × height RGBA pixels', () => {
    expect(() => encodePng(new Uint8Array(10), 2, 2)).toThrow(/not 2×2 RGBA/);
  });
});

describe('colours', () => {
  it("plasma passes through matplotlib's stops and clamps outside [0, 1]", () => {
    expect(plasma(0)).toEqual(rgbOf('#0d0887'));
    expect(plasma(0.5)).toEqual(rgbOf('#cc4778'));
    expect(plasma(1)).toEqual(rgbOf('#f0f921'));
    expect(plasma(2)).toEqual(rgbOf('#f0f921'));
    // Halfway between the 0.0 and 0.1 stops.
    expect(plasma(0.05)).toEqual([(0x0d + 0x41) / 2, (0x08 + 0x04) / 2, (0x87 + 0x9d) / 2]);
  });

  it('colours a one-output grid by plasma and a many-class grid by class, paler where unsure', () => {
    const binary = gridPixels({ area: SEED_AREA, size: 1, outputs: 1, values: new Float32Array([1]) });
    expect(Array.from(binary)).toEqual([...rgbOf('#f0f921'), 255]);
    const sure = gridPixels({ area: SEED_AREA, size: 1, outputs: 3, values: new Float32Array([0, 1, 0]) });
    expect(Array.from(sure)).toEqual([...rgbOf('#e69f00'), 255]);
    const unsure = gridPixels({ area: SEED_AREA, size: 1, outputs: 3, values: new Float32Array([0.3, 0.4, 0.3]) });
    // Confidence (0.4 - 1/3) / (2/3) = 0.1: strength 0.15 + 0.85 · 0.1 = 0.235 of the class colour over white.
    expect(unsure[2]).toBe(Math.round(255 + (0x00 - 255) * 0.235));
  });
});

describe('scales', () => {
  it('picks ticks at 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(0.23)).toBeCloseTo(0.2, 12);
    expect(niceStep(36)).toBe(50);
    expect(linearScale([0, 1], [0, 100]).ticks()).toEqual([0, 0.2, 0.4, 0.6000000000000001, 0.8, 1].map((v) => expect.closeTo(v, 9)));
    expect(logScale([0.004, 0.9], [0, 100]).ticks()).toEqual([0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5].map((v) => expect.closeTo(v, 12)));
    const y = logScale([0.01, 1], [100, 0]);
    expect(y(0.1)).toBeCloseTo(50, 9);
  });
});

describe('line charts', () => {
  it('draws one group per series, named, and breaks a log line at non-positive values', () => {
    const svg = lineChart({
      title: 'Test loss',
      xLabel: 'epoch',
      yLabel: 'loss',
      yScale: 'log',
      series: [
        { name: 'backprop', color: '#000', points: [[1, 0.5], [2, 0.1], [3, 0], [4, 0.05]] },
        { name: 'local-parallel', color: '#f00', points: [[1, 0.6], [2, 0.3]] },
      ],
    });
    expect([...svg.matchAll(/data-series="([^"]+)"/g)].map((m) => m[1])).toEqual(['backprop', 'local-parallel']);
    const path = svg.match(/data-series="backprop"><path d="([^"]+)"/)![1];
    // Two runs of the line: the zero at epoch 3 lifts the pen.
    expect(path.match(/M/g)!.length).toBe(2);
    expect(path.match(/L/g)!.length).toBe(1);
    expect(svg).toContain('>Test loss</text>');
  });
});
