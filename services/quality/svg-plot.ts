// A small SVG writer for the evaluation plots (ROC and precision–recall curves on the unit square):
// axes, grid, ticks, title, legend. No dependency; the SVG renders in browsers and with sharp.

/** Okabe–Ito palette: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'] as const;

/** One curve. Points are joined by straight lines. */
export interface PlotSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
  dashed?: boolean;
  /** Fill the area under the curve lightly (good for a single curve). */
  fill?: boolean;
}

/** A labelled point (e.g. the operating point on a ROC curve). */
export interface PlotMarker {
  x: number;
  y: number;
  label: string;
  color?: string;
}

/** Corner of the plot area holding the legend. */
export const LegendCorner = { BottomRight: 'bottom-right', TopRight: 'top-right', BottomLeft: 'bottom-left' } as const;
export type LegendCorner = (typeof LegendCorner)[keyof typeof LegendCorner];

/** Options of {@link unitSquarePlot}. */
export interface UnitSquarePlotOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: PlotSeries[];
  markers?: PlotMarker[];
  /** Dashed y = x line (chance level of a ROC curve). */
  diagonal?: boolean;
  legend?: LegendCorner;
  /** Pixels (default 680 × 600). */
  width?: number;
  height?: number;
}

const FONT = "font-family=\"'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif\"";

/** Escapes text for SVG content and attributes. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const fmt = (v: number): string => (Math.round(v * 100) / 100).toString();

/**
 * A line chart on [0, 1] × [0, 1] as an SVG document.
 * @example await writeFile('roc.svg', unitSquarePlot({ title: 'ROC', xLabel: 'FPR', yLabel: 'TPR', series: [{ name: 'AUROC 88.6%', x: fpr, y: tpr }], diagonal: true }))
 */
export function unitSquarePlot(o: UnitSquarePlotOptions): string {
  const W = o.width ?? 680;
  const H = o.height ?? 600;
  const m = { left: 72, right: 24, top: o.subtitle ? 74 : 56, bottom: 64 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const X = (v: number): number => m.left + v * pw;
  const Y = (v: number): number => m.top + (1 - v) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT}>`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${m.left}" y="30" font-size="18" font-weight="600" fill="#1a1a1a">${esc(o.title)}</text>`);
  if (o.subtitle) parts.push(`<text x="${m.left}" y="52" font-size="13" fill="#555">${esc(o.subtitle)}</text>`);
  // Grid and ticks.
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="#fafafa"/>`);
  for (let i = 0; i <= 10; i++) {
    const v = i / 10;
    const major = i % 2 === 0;
    const stroke = major ? '#dddddd' : '#eeeeee';
    parts.push(`<line x1="${fmt(X(v))}" y1="${m.top}" x2="${fmt(X(v))}" y2="${m.top + ph}" stroke="${stroke}" stroke-width="1"/>`);
    parts.push(`<line x1="${m.left}" y1="${fmt(Y(v))}" x2="${m.left + pw}" y2="${fmt(Y(v))}" stroke="${stroke}" stroke-width="1"/>`);
    if (major) {
      const t = v.toFixed(1);
      parts.push(`<text x="${fmt(X(v))}" y="${m.top + ph + 20}" font-size="12" fill="#444" text-anchor="middle">${t}</text>`);
      parts.push(`<text x="${m.left - 8}" y="${fmt(Y(v) + 4)}" font-size="12" fill="#444" text-anchor="end">${t}</text>`);
    }
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888" stroke-width="1"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 18}" font-size="14" fill="#222" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(20 ${m.top + ph / 2}) rotate(-90)" font-size="14" fill="#222" text-anchor="middle">${esc(o.yLabel)}</text>`);
  if (o.diagonal) {
    parts.push(`<line x1="${X(0)}" y1="${Y(0)}" x2="${X(1)}" y2="${Y(1)}" stroke="#999" stroke-width="1.2" stroke-dasharray="5 5"/>`);
  }
  // Curves, clipped to the plot area.
  parts.push(`<clipPath id="plot-area"><rect x="${m.left - 2}" y="${m.top - 2}" width="${pw + 4}" height="${ph + 4}"/></clipPath>`);
  parts.push('<g clip-path="url(#plot-area)" fill="none" stroke-linejoin="round" stroke-linecap="round">');
  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const pts: string[] = [];
    for (let k = 0; k < s.x.length; k++) {
      if (Number.isFinite(s.x[k]) && Number.isFinite(s.y[k])) pts.push(`${fmt(X(s.x[k]))},${fmt(Y(s.y[k]))}`);
    }
    if (pts.length === 0) return;
    if (s.fill && pts.length > 1) {
      const first = pts[0].split(',')[0];
      const last = pts[pts.length - 1].split(',')[0];
      parts.push(`<polygon points="${first},${fmt(Y(0))} ${pts.join(' ')} ${last},${fmt(Y(0))}" fill="${color}" fill-opacity="0.08" stroke="none"/>`);
    }
    const dash = s.dashed ? ' stroke-dasharray="7 4"' : '';
    parts.push(`<polyline points="${pts.join(' ')}" stroke="${color}" stroke-width="2.4"${dash}/>`);
  });
  parts.push('</g>');
  for (const mk of o.markers ?? []) {
    const color = mk.color ?? '#1a1a1a';
    const cx = X(mk.x);
    const cy = Y(mk.y);
    parts.push(`<circle cx="${fmt(cx)}" cy="${fmt(cy)}" r="5.5" fill="#ffffff" stroke="${color}" stroke-width="2.2"/>`);
    // Label below and to the right of the point (under a ROC curve is free space), on a white halo.
    const right = mk.x < 0.6;
    const tx = fmt(cx + (right ? 12 : -12));
    const ty = fmt(cy + (mk.y > 0.1 ? 22 : -12));
    parts.push(`<text x="${tx}" y="${ty}" font-size="12.5" fill="${color}" text-anchor="${right ? 'start' : 'end'}" stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke">${esc(mk.label)}</text>`);
  }
  // Legend.
  const entries = o.series.map((s, i) => ({ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length], dashed: s.dashed }));
  if (entries.length) {
    const lineH = 20;
    const textW = Math.max(...entries.map((e) => e.name.length)) * 7 + 8;
    const bw = 36 + textW;
    const bh = entries.length * lineH + 12;
    const corner = o.legend ?? LegendCorner.BottomRight;
    const bx = corner === LegendCorner.BottomLeft ? m.left + 12 : m.left + pw - bw - 12;
    const by = corner === LegendCorner.TopRight ? m.top + 12 : m.top + ph - bh - 12;
    parts.push(`<rect x="${fmt(bx)}" y="${fmt(by)}" width="${fmt(bw)}" height="${bh}" rx="4" fill="#ffffff" fill-opacity="0.92" stroke="#cccccc"/>`);
    entries.forEach((e, i) => {
      const y = by + 16 + i * lineH;
      const dash = e.dashed ? ' stroke-dasharray="7 4"' : '';
      parts.push(`<line x1="${fmt(bx + 8)}" y1="${fmt(y - 4)}" x2="${fmt(bx + 28)}" y2="${fmt(y - 4)}" stroke="${e.color}" stroke-width="3"${dash}/>`);
      parts.push(`<text x="${fmt(bx + 34)}" y="${fmt(y)}" font-size="12.5" fill="#222">${esc(e.name)}</text>`);
    });
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
