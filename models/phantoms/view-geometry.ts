// Places the patient's spine in one view's pixel grid: body frames, endplates, foramina, sacrum anchor.
import type { LesionPlan, PatientSpec, View } from './patient.ts';
import type { Point, Rect } from './raster.ts';
import type { Rng } from './prng.ts';

/**
 * A vertebral body in image pixels. Its frame: `u` across the body (AP: to the image right; lateral: posterior,
 * to the image right), `v` down the body. Heights `ha` (at u = -halfW) and `hp` (at u = +halfW) allow wedges;
 * `cTop`/`cBot` are endplate concavities; `waist` the concavity of the side walls.
 */
export interface BodyGeom {
  index: number;
  name: string;
  c: Point;
  angle: number;
  halfW: number;
  ha: number;
  hp: number;
  cTop: number;
  cBot: number;
  waist: number;
  /** Extra sclerosis band (px) under the top / above the bottom endplate (disc space narrowing). */
  sclerosisTop: number;
  sclerosisBot: number;
  /** Normal (uncollapsed) height in px, for placing posterior elements. */
  nominalHeight: number;
}

/** Geometry of one view, in full-resolution pixels. */
export interface ViewGeometry {
  view: View;
  width: number;
  height: number;
  /** mm per pixel. */
  spacing: number;
  bodies: BodyGeom[];
  /** Top-endplate centre of S1 and the sacral frame angle. */
  sacrum: { c: Point; angle: number; halfW: number };
  /** Lateral only: the skin line of the back (x), beyond which is air. */
  backSkinX: number;
  /** AP only: midline x at the sacrum. */
  midlineX: number;
}

/** Maps body-frame (u, v) to image coordinates. */
export function toImage(b: { c: Point; angle: number }, u: number, v: number): Point {
  const cos = Math.cos(b.angle);
  const sin = Math.sin(b.angle);
  return { x: b.c.x + u * cos - v * sin, y: b.c.y + u * sin + v * cos };
}

/** Height of a body at frame position u (linear between ha and hp). */
export function heightAt(b: BodyGeom, u: number): number {
  const t = (u / b.halfW + 1) / 2;
  return b.ha + (b.hp - b.ha) * t;
}

/** The four corners of a body (anterior/left first): top-left, top-right, bottom-right, bottom-left. */
export function bodyCorners(b: BodyGeom): Point[] {
  return [
    toImage(b, -b.halfW, -b.ha / 2),
    toImage(b, b.halfW, -b.hp / 2),
    toImage(b, b.halfW, b.hp / 2),
    toImage(b, -b.halfW, b.ha / 2),
  ];
}

/** Tight box around a drawn body (endplate concavities and waist only move edges inward). */
export function bodyBounds(b: BodyGeom): Rect {
  const pts = bodyCorners(b);
  return {
    xmin: Math.min(...pts.map((p) => p.x)),
    ymin: Math.min(...pts.map((p) => p.y)),
    xmax: Math.max(...pts.map((p) => p.x)),
    ymax: Math.max(...pts.map((p) => p.y)),
  };
}

const DEG = Math.PI / 180;

/**
 * Lays out the spine for `view` on a `width` × `height` grid with `spacing` mm/px, applying the lesions that
 * change geometry (slip, collapse, disc narrowing). Walks up from S1 so that a wedge tilts the column above it.
 */
export function layoutView(patient: PatientSpec, view: View, width: number, height: number, spacing: number, rng: Rng): ViewGeometry {
  const mm = (v: number) => v / spacing;
  const lateral = view === 'lateral';
  const find = <K extends LesionPlan['kind']>(kind: K, level: number) =>
    patient.lesions.find((l) => l.kind === kind && l.level === level) as Extract<LesionPlan, { kind: K }> | undefined;

  const a0 = lateral ? -patient.sacralSlope * DEG : rng.uniform(-3, 3) * DEG;
  const scoliosis = lateral ? 0 : rng.uniform(-1.2, 1.2) * DEG;
  let a = a0;
  let p: Point = { x: 0, y: 0 };
  const up = (ang: number): Point => ({ x: Math.sin(ang), y: -Math.cos(ang) });
  const bodies: BodyGeom[] = [];
  const n = patient.levels.length;
  for (let k = n - 1; k >= 0; k--) {
    const lv = patient.levels[k];
    const dsn = find('disc-narrowing', k);
    const discScale = dsn ? dsn.remaining : 1;
    const dh = mm(lv.discBelow * discScale) * (lateral ? 1 : 0.92);
    const da = lateral ? lv.lordosisBelow * DEG * discScale : scoliosis * Math.sin(k * 1.3) + rng.uniform(-0.6, 0.6) * DEG;
    const mid = a + da / 2;
    const u1 = up(mid);
    p = { x: p.x + u1.x * dh, y: p.y + u1.y * dh };
    a += da;
    const slip = lateral ? find('slip', k) : undefined;
    if (slip) {
      // Anterolisthesis: this body (and the column above) moves anteriorly (image left) on the one below.
      const below = patient.levels[k + 1] ?? lv;
      const s = mm(below.depth * slip.fraction);
      p = { x: p.x - Math.cos(a) * s, y: p.y - Math.sin(a) * s };
    }
    const h = mm(lv.height);
    let ha = h;
    let hp = h;
    let cTop = mm(lateral ? 0.6 : 0.4);
    let cBot = cTop;
    const col = find('collapse', k);
    if (col) {
      if (col.shape === 'wedge' && lateral) {
        ha = h * (1 - col.loss);
        hp = h * (1 - col.loss * 0.12);
      } else if (col.shape === 'wedge') {
        ha = hp = h * (1 - col.loss * 0.8);
        cTop = cBot = h * col.loss * 0.08;
      } else {
        ha = hp = h * (1 - col.loss * 0.25);
        cTop = cBot = (ha - h * (1 - col.loss)) / 2;
      }
    }
    const halfW = mm(lateral ? lv.depth : lv.width) / 2;
    const delta = Math.atan2((hp - ha) / 2, 2 * halfW);
    const angle = a - delta;
    const hm = (ha + hp) / 2;
    const ub = up(angle);
    const c = { x: p.x + (ub.x * hm) / 2, y: p.y + (ub.y * hm) / 2 };
    p = { x: c.x + (ub.x * hm) / 2, y: c.y + (ub.y * hm) / 2 };
    a = a - 2 * delta;
    const dsnAbove = find('disc-narrowing', k - 1);
    bodies.unshift({
      index: k,
      name: lv.name,
      c,
      angle,
      halfW,
      ha,
      hp,
      cTop,
      cBot,
      waist: mm(lateral ? 1.2 : 2.2),
      sclerosisTop: dsnAbove ? mm(4) : 0,
      sclerosisBot: dsn ? mm(4) : 0,
      nominalHeight: h,
    });
  }
  // Place: S1 low in the image, the lumbar bodies around the centre line (lateral: slightly anterior of centre).
  const lumbar = bodies.slice(patient.firstLumbar);
  const meanX = lumbar.reduce((s, b) => s + b.c.x, 0) / lumbar.length;
  const tx = width * (lateral ? rng.uniform(0.4, 0.48) : rng.uniform(0.47, 0.53)) - meanX;
  const ty = height * rng.uniform(0.8, 0.85);
  for (const b of bodies) b.c = { x: b.c.x + tx, y: b.c.y + ty };
  const l5 = bodies[bodies.length - 1];
  return {
    view,
    width,
    height,
    spacing,
    bodies,
    sacrum: { c: { x: tx, y: ty }, angle: a0, halfW: l5.halfW * (lateral ? 1.05 : 1) },
    backSkinX: tx + mm(patient.levels[n - 1].depth / 2 + rng.uniform(85, 120)),
    midlineX: tx,
  };
}
