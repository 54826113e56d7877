/** Escapes text for SVG and HTML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

type Attributes = Record<string, string | number | undefined>;

/** One element; attributes left undefined are omitted, numbers are rounded to 0.01. */
export function el(tag: string, attributes: Attributes, ...children: string[]): string {
  const attrs = Object.entries(attributes)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? fmt(v) : escapeXml(v!)}"`)
    .join('');
  return children.length === 0 ? `<${tag}${attrs}/>` : `<${tag}${attrs}>${children.join('')}</${tag}>`;
}

/** A number with at most two decimals, as SVG coordinates need. */
export function fmt(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** The font every figure uses: DejaVu Sans ships with the PNG renderer, so files look the same on every machine. */
export const FONT = 'DejaVu Sans, Verdana, sans-serif';

/** A standalone SVG document of the given size. */
export function svgDocument(width: number, height: number, ...children: string[]): string {
  return el(
    'svg',
    { xmlns: 'http://www.w3.org/2000/svg', 'xmlns:xlink': 'http://www.w3.org/1999/xlink', width, height, viewBox: `0 0 ${fmt(width)} ${fmt(height)}`, 'font-family': FONT },
    el('rect', { width, height, fill: 'white' }),
    ...children,
  );
}

/** Text, by default centred on (x, y)'s baseline. */
export function text(x: number, y: number, content: string, attributes: Attributes = {}): string {
  return el('text', { x, y, 'font-size': 11, fill: '#222', 'text-anchor': 'middle', ...attributes }, escapeXml(content));
}
