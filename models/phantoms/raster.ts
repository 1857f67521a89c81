// Anti-aliased shape painting on float layers (signed-distance coverage), Gaussian blur and resampling for phantoms.

/** A 2-D point in full-resolution image pixels. */
export interface Point {
  x: number;
  y: number;
}

/** An axis-aligned box in full-resolution image pixels. */
export interface Rect {
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

/** How a shape changes the layer: add density, or carve (multiply by 1 - coverage × density). */
export type PaintMode = 'add' | 'carve';

/** Density of a shape: `fill` everywhere inside, plus `rim` within `rimWidth` of the edge (cortex). */
export interface Shade {
  fill: number;
  rim?: number;
  /** Rim width in full-resolution pixels. */
  rimWidth?: number;
  /** Edge softness in full-resolution pixels (anti-aliasing; larger = fuzzier). */
  soft?: number;
  mode?: PaintMode;
}

/**
 * A float raster at reduced resolution that is addressed in full-resolution pixel coordinates,
 * so the geometry (and the ground-truth boxes) never depend on the render scale.
 */
export class Layer {
  readonly data: Float32Array;

  constructor(
    readonly width: number,
    readonly height: number,
    /** Full-resolution pixels per layer pixel. */
    readonly scale: number,
  ) {
    this.data = new Float32Array(width * height);
  }

  /** Paints a rotated ellipse centred at `c` with radii `rx`, `ry` (full-res px), rotation `angle` (rad). */
  ellipse(c: Point, rx: number, ry: number, angle: number, shade: Shade): void {
    const ext = Math.max(rx, ry) + (shade.soft ?? 1) * 2;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const irx2 = 1 / (rx * rx);
    const iry2 = 1 / (ry * ry);
    const irx4 = irx2 * irx2;
    const iry4 = iry2 * iry2;
    this.paint(c.x - ext, c.y - ext, c.x + ext, c.y + ext, shade, (x, y) => {
      const dx = x - c.x;
      const dy = y - c.y;
      const u = dx * cos + dy * sin;
      const v = -dx * sin + dy * cos;
      const r = Math.sqrt(u * u * irx2 + v * v * iry2);
      const g = Math.sqrt(u * u * irx4 + v * v * iry4);
      return g > 1e-12 ? ((1 - r) * r) / g : Math.min(rx, ry);
    });
  }

  /** Paints a capsule (rounded segment) from `a` to `b`, radius tapering from `ra` to `rb`. */
  capsule(a: Point, b: Point, ra: number, rb: number, shade: Shade): void {
    const ext = Math.max(ra, rb) + (shade.soft ?? 1) * 2;
    const ex = b.x - a.x;
    const ey = b.y - a.y;
    const len2 = ex * ex + ey * ey || 1e-9;
    this.paint(
      Math.min(a.x, b.x) - ext,
      Math.min(a.y, b.y) - ext,
      Math.max(a.x, b.x) + ext,
      Math.max(a.y, b.y) + ext,
      shade,
      (x, y) => {
        const px = x - a.x;
        const py = y - a.y;
        let t = (px * ex + py * ey) / len2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const qx = px - t * ex;
        const qy = py - t * ey;
        return ra + (rb - ra) * t - Math.sqrt(qx * qx + qy * qy);
      },
    );
  }

  /** Paints a simple polygon (any winding, may be concave). */
  polygon(pts: readonly Point[], shade: Shade): void {
    const n = pts.length;
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      xs[i] = pts[i].x;
      ys[i] = pts[i].y;
    }
    const b = boundsOf(pts);
    const ext = (shade.soft ?? 1) * 2;
    this.paint(b.xmin - ext, b.ymin - ext, b.xmax + ext, b.ymax + ext, shade, (x, y) => {
      let d2 = Infinity;
      let inside = false;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const ax = xs[j];
        const ay = ys[j];
        const ex = xs[i] - ax;
        const ey = ys[i] - ay;
        const px = x - ax;
        const py = y - ay;
        let t = (px * ex + py * ey) / (ex * ex + ey * ey || 1e-9);
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const qx = px - t * ex;
        const qy = py - t * ey;
        const dd = qx * qx + qy * qy;
        if (dd < d2) d2 = dd;
        if (ay > y !== ys[i] > y && x < ((xs[i] - ax) * (y - ay)) / (ys[i] - ay) + ax) inside = !inside;
      }
      const d = Math.sqrt(d2);
      return inside ? d : -d;
    });
  }

  /**
   * Paints the region where `sdf(x, y)` (full-res coordinates, positive inside, in px) is positive,
   * within the given full-res bounds. Shapes are small next to the image, so the closure cost is minor.
   */
  paint(x0: number, y0: number, x1: number, y1: number, shade: Shade, sdf: (x: number, y: number) => number): void {
    const s = this.scale;
    const cx0 = Math.max(0, Math.floor(x0 / s));
    const cy0 = Math.max(0, Math.floor(y0 / s));
    const cx1 = Math.min(this.width - 1, Math.ceil(x1 / s));
    const cy1 = Math.min(this.height - 1, Math.ceil(y1 / s));
    const soft = Math.max(shade.soft ?? 1, s * 0.5);
    const invSoft = 1 / soft;
    const fill = shade.fill;
    const rim = shade.rim ?? 0;
    const rimWidth = shade.rimWidth ?? 0;
    const carve = shade.mode === 'carve';
    const d = this.data;
    const w = this.width;
    for (let cy = cy0; cy <= cy1; cy++) {
      // Layer pixel centres map to full-res coordinates (cx + 0.5) * s.
      const y = (cy + 0.5) * s;
      const row = cy * w;
      for (let cx = cx0; cx <= cx1; cx++) {
        const sd = sdf((cx + 0.5) * s, y);
        let cov = sd * invSoft + 0.5;
        if (cov <= 0) continue;
        if (cov > 1) cov = 1;
        let v = fill * cov;
        if (rim !== 0) {
          let rc = (rimWidth - sd) * invSoft + 0.5;
          rc = rc < 0 ? 0 : rc > 1 ? 1 : rc;
          v += rim * rc * cov;
        }
        if (carve) d[row + cx] *= 1 - (v > 1 ? 1 : v);
        else d[row + cx] += v;
      }
    }
  }

  /** Adds `other` (same size) times `k` into this layer. */
  addScaled(other: Layer, k: number): void {
    const a = this.data;
    const b = other.data;
    for (let i = 0; i < a.length; i++) a[i] += b[i] * k;
  }
}

/** Bounding box of points. */
export function boundsOf(pts: readonly Point[]): Rect {
  let xmin = Infinity;
  let ymin = Infinity;
  let xmax = -Infinity;
  let ymax = -Infinity;
  for (const p of pts) {
    if (p.x < xmin) xmin = p.x;
    if (p.y < ymin) ymin = p.y;
    if (p.x > xmax) xmax = p.x;
    if (p.y > ymax) ymax = p.y;
  }
  return { xmin, ymin, xmax, ymax };
}

/** Union of boxes. */
export function unionRect(...rs: Rect[]): Rect {
  return {
    xmin: Math.min(...rs.map((r) => r.xmin)),
    ymin: Math.min(...rs.map((r) => r.ymin)),
    xmax: Math.max(...rs.map((r) => r.xmax)),
    ymax: Math.max(...rs.map((r) => r.ymax)),
  };
}

/** Bounding box of a rotated ellipse. */
export function ellipseBounds(c: Point, rx: number, ry: number, angle: number): Rect {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const hx = Math.sqrt(rx * rx * cos * cos + ry * ry * sin * sin);
  const hy = Math.sqrt(rx * rx * sin * sin + ry * ry * cos * cos);
  return { xmin: c.x - hx, ymin: c.y - hy, xmax: c.x + hx, ymax: c.y + hy };
}

/** Separable Gaussian blur in place (sigma in layer pixels); a no-op below 0.3 px. */
export function gaussianBlur(data: Float32Array, width: number, height: number, sigma: number): void {
  if (sigma < 0.3) return;
  const r = Math.max(1, Math.ceil(sigma * 2.5));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  const line = new Float32Array(width + 2 * r);
  // Rows.
  for (let y = 0; y < height; y++) {
    const off = y * width;
    for (let x = 0; x < width; x++) line[x + r] = data[off + x];
    for (let i = 0; i < r; i++) {
      line[i] = data[off];
      line[width + r + i] = data[off + width - 1];
    }
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let i = 0; i < k.length; i++) acc += line[x + i] * k[i];
      data[off + x] = acc;
    }
  }
  // Columns, row by row so memory is read in order.
  const src = data.slice();
  for (let y = 0; y < height; y++) {
    const off = y * width;
    for (let x = 0; x < width; x++) data[off + x] = 0;
    for (let i = 0; i < k.length; i++) {
      let yy = y + i - r;
      yy = yy < 0 ? 0 : yy >= height ? height - 1 : yy;
      const so = yy * width;
      const kk = k[i];
      for (let x = 0; x < width; x++) data[off + x] += src[so + x] * kk;
    }
  }
}

/**
 * Adds smooth low-frequency variation (organs, fat planes): random values on a coarse grid of `cell` layer
 * pixels, bilinearly interpolated. Far cheaper than painting large soft blobs.
 */
export function addLowFrequency(layer: Layer, cell: number, amplitude: number, random: () => number): void {
  const gw = Math.ceil(layer.width / cell) + 2;
  const gh = Math.ceil(layer.height / cell) + 2;
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) grid[i] = (random() * 2 - 1) * amplitude;
  const d = layer.data;
  const w = layer.width;
  for (let y = 0; y < layer.height; y++) {
    const gy = y / cell;
    const y0 = Math.floor(gy);
    const fy = gy - y0;
    // Smoothstep weights hide the grid.
    const wy = fy * fy * (3 - 2 * fy);
    for (let x = 0; x < w; x++) {
      const gx = x / cell;
      const x0 = Math.floor(gx);
      const fx = gx - x0;
      const wx = fx * fx * (3 - 2 * fx);
      const i = y0 * gw + x0;
      const top = grid[i] + (grid[i + 1] - grid[i]) * wx;
      const bot = grid[i + gw] + (grid[i + gw + 1] - grid[i + gw]) * wx;
      d[y * w + x] += top + (bot - top) * wy;
    }
  }
}
