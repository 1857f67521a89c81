// Paints the planned lesions of one view and returns their exact ground-truth boxes (image pixels).
import type { Finding } from '../../services/common/model-config.ts';
import { DENSITY, foramenGeometry } from './anatomy-painter.ts';
import { LESION_FINDING, VISIBLE_IN, type LesionPlan } from './patient.ts';
import { boundsOf, ellipseBounds, unionRect, type Layer, type Point, type Rect } from './raster.ts';
import { bodyBounds, toImage, type BodyGeom, type ViewGeometry } from './view-geometry.ts';

/** A ground-truth box in absolute pixel coordinates of the image (VinDr-SpineXR convention). */
export interface LesionBox {
  lesionType: Finding;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

/**
 * Draws each lesion visible in this view into `bone` and returns one box per drawn lesion, clipped to the
 * image and rounded outwards to whole pixels. Slips, collapses and narrowed discs are already in the geometry.
 */
export function paintLesions(bone: Layer, g: ViewGeometry, lesions: readonly LesionPlan[]): LesionBox[] {
  const boxes: LesionBox[] = [];
  const mm = (v: number) => v / g.spacing;
  for (const plan of lesions) {
    const finding = LESION_FINDING[plan.kind];
    if (!VISIBLE_IN[finding].includes(g.view)) continue;
    const body = g.bodies.find((b) => b.index === plan.level);
    if (!body) continue;
    const next = g.bodies.find((b) => b.index === plan.level + 1);
    let r: Rect | undefined;
    switch (plan.kind) {
      case 'osteophyte':
        r = paintOsteophyte(bone, body, plan, g, mm);
        break;
      case 'disc-narrowing':
        if (next) r = discBounds(body, next);
        break;
      case 'implant':
        r = paintImplant(bone, g, plan, mm);
        break;
      case 'slip':
        if (next) r = unionRect(bodyBounds(body), bodyBounds(next));
        break;
      case 'foraminal-stenosis':
        if (next) r = paintForaminalStenosis(bone, body, next, plan.residual, g.spacing, mm);
        break;
      case 'collapse':
        r = bodyBounds(body);
        break;
      case 'focal':
        r = paintFocal(bone, body, plan, mm);
        break;
    }
    if (!r) continue;
    const box = clip(r, g.width, g.height);
    if (box) boxes.push({ lesionType: finding, ...box });
  }
  return boxes;
}

function clip(r: Rect, width: number, height: number): Rect | undefined {
  const xmin = Math.max(0, Math.floor(r.xmin));
  const ymin = Math.max(0, Math.floor(r.ymin));
  const xmax = Math.min(width - 1, Math.ceil(r.xmax));
  const ymax = Math.min(height - 1, Math.ceil(r.ymax));
  return xmax - xmin >= 4 && ymax - ymin >= 4 ? { xmin, ymin, xmax, ymax } : undefined;
}

function bezier(a: Point, c: Point, b: Point, steps: number): Point[] {
  const out: Point[] = [];
  for (let i = 1; i < steps; i++) {
    const t = i / steps;
    const s = 1 - t;
    out.push({ x: s * s * a.x + 2 * s * t * c.x + t * t * b.x, y: s * s * a.y + 2 * s * t * c.y + t * t * b.y });
  }
  return out;
}

/** A beak-shaped spur at a body corner, curving towards the disc. AP: lateral corner; lateral: anterior corner. */
function paintOsteophyte(bone: Layer, b: BodyGeom, plan: Extract<LesionPlan, { kind: 'osteophyte' }>, g: ViewGeometry, mm: (v: number) => number): Rect {
  const s = g.view === 'lateral' ? -1 : plan.side;
  const e = plan.endplate === 'top' ? -1 : 1;
  const hCorner = s < 0 ? b.ha : b.hp;
  const vEnd = (e * hCorner) / 2;
  const L = mm(plan.lengthMm);
  const base = mm(plan.baseMm);
  const hw = b.halfW - mm(1);
  const f = (u: number, v: number) => toImage(b, s * u, v);
  const B = f(hw, vEnd - e * base);
  const T = f(b.halfW + L, vEnd + e * 0.45 * L);
  const P1 = f(hw, vEnd + e * mm(0.3));
  const pts = [
    B,
    ...bezier(B, f(b.halfW + 1.0 * L, vEnd - e * 0.55 * base), T, 8),
    T,
    ...bezier(T, f(b.halfW + 0.45 * L, vEnd + e * 0.2 * L), P1, 6),
    P1,
  ];
  bone.polygon(pts, { fill: DENSITY.cancellous + 0.06, rim: DENSITY.cortex, rimWidth: mm(1.5), soft: mm(0.3) });
  return boundsOf(pts);
}

/** The narrowed disc space plus the sclerotic endplate bands on both sides. */
function discBounds(upper: BodyGeom, lower: BodyGeom): Rect {
  const pts = [
    toImage(upper, -upper.halfW, upper.ha / 2 - upper.sclerosisBot),
    toImage(upper, upper.halfW, upper.hp / 2 - upper.sclerosisBot),
    toImage(lower, -lower.halfW, -lower.ha / 2 + lower.sclerosisTop),
    toImage(lower, lower.halfW, -lower.hp / 2 + lower.sclerosisTop),
  ];
  return boundsOf(pts);
}

function capsuleBounds(a: Point, b: Point, r: number): Rect {
  return { xmin: Math.min(a.x, b.x) - r, ymin: Math.min(a.y, b.y) - r, xmax: Math.max(a.x, b.x) + r, ymax: Math.max(a.y, b.y) + r };
}

/** Pedicle screws at each instrumented level, joined by rods; optionally interbody cages. Metal saturates. */
function paintImplant(bone: Layer, g: ViewGeometry, plan: Extract<LesionPlan, { kind: 'implant' }>, mm: (v: number) => number): Rect | undefined {
  const bodies = g.bodies.filter((b) => b.index >= plan.level && b.index < plan.level + plan.count);
  if (bodies.length < 2) return undefined;
  const metal = { fill: DENSITY.metal, soft: mm(0.2) };
  const rects: Rect[] = [];
  const screwR = mm(3.25);
  const headR = mm(5.5);
  const rodR = mm(2.75);
  const sides = g.view === 'ap' ? [-1, 1] : [1];
  for (const side of sides) {
    const heads: Point[] = [];
    for (const b of bodies) {
      const h = b.nominalHeight;
      const W = 2 * b.halfW;
      const head = g.view === 'ap' ? toImage(b, side * (b.halfW - 0.06 * W), -0.17 * h) : toImage(b, b.halfW + mm(20), -0.22 * h);
      const tip = g.view === 'ap' ? toImage(b, side * (b.halfW - 0.34 * W), -0.13 * h) : toImage(b, -0.6 * b.halfW, -0.1 * h);
      bone.capsule(head, tip, screwR, screwR * 0.8, metal);
      bone.ellipse(head, headR, headR * 0.85, b.angle, metal);
      rects.push(capsuleBounds(head, tip, screwR), ellipseBounds(head, headR, headR * 0.85, b.angle));
      heads.push(head);
    }
    // Rod through the heads, overhanging a little at both ends.
    const a = heads[0];
    const z = heads[heads.length - 1];
    const len = Math.hypot(z.x - a.x, z.y - a.y) || 1;
    const over = mm(6) / len;
    const ra = { x: a.x - (z.x - a.x) * over, y: a.y - (z.y - a.y) * over };
    const rz = { x: z.x + (z.x - a.x) * over, y: z.y + (z.y - a.y) * over };
    bone.capsule(ra, rz, rodR, rodR, metal);
    rects.push(capsuleBounds(ra, rz, rodR));
  }
  if (plan.cage) {
    for (let i = 0; i + 1 < bodies.length; i++) {
      const up = bodies[i];
      const lo = bodies[i + 1];
      const k = 0.55;
      const quad = [
        toImage(up, -k * up.halfW, up.ha / 2 + mm(0.8)),
        toImage(up, k * up.halfW, up.hp / 2 + mm(0.8)),
        toImage(lo, k * lo.halfW, -lo.hp / 2 - mm(0.8)),
        toImage(lo, -k * lo.halfW, -lo.ha / 2 - mm(0.8)),
      ];
      bone.polygon(quad, { fill: DENSITY.metal * 0.7, soft: mm(0.2) });
      rects.push(boundsOf(quad));
    }
  }
  return unionRect(...rects);
}

/** Facet hypertrophy filling most of the foramen under `upper`, leaving a slit. */
function paintForaminalStenosis(bone: Layer, upper: BodyGeom, lower: BodyGeom, residual: number, spacing: number, mm: (v: number) => number): Rect {
  const f = foramenGeometry(upper, lower, spacing);
  const cos = Math.cos(f.angle);
  const sin = Math.sin(f.angle);
  // Shift the overgrowth posteriorly (frame +u) so the remaining lumen is an anterior slit.
  const shift = f.rx * residual;
  const c = { x: f.c.x + shift * cos, y: f.c.y + shift * sin };
  const rx = f.rx * (1 - residual * 0.5);
  const ry = f.ry * 0.92;
  bone.ellipse(c, rx, ry, f.angle, { fill: DENSITY.cancellous + 0.1, rim: 0.08, rimWidth: mm(1.2), soft: mm(0.6) });
  return unionRect(ellipseBounds(f.c, f.rx, f.ry, f.angle), ellipseBounds(c, rx, ry, f.angle));
}

/** A sclerotic (dense) or lytic (lucent, thin sclerotic margin) focal lesion inside a body. */
function paintFocal(bone: Layer, b: BodyGeom, plan: Extract<LesionPlan, { kind: 'focal' }>, mm: (v: number) => number): Rect {
  const hMin = Math.min(b.ha, b.hp);
  const r = Math.min(mm(plan.diameterMm) / 2, 0.42 * hMin, 0.42 * b.halfW * 2);
  const c = toImage(b, plan.du * b.halfW, plan.dv * hMin);
  const rx = r;
  const ry = r * 0.85;
  if (plan.type === 'sclerotic') {
    bone.ellipse(c, rx, ry, b.angle, { fill: 0.3, soft: mm(1.2) });
  } else {
    bone.ellipse(c, rx, ry, b.angle, { fill: 0.85, soft: mm(1.2), mode: 'carve' });
    bone.ellipse(c, rx, ry, b.angle, { fill: 0, rim: 0.1, rimWidth: mm(1), soft: mm(0.6) });
  }
  return ellipseBounds(c, rx, ry, b.angle);
}
