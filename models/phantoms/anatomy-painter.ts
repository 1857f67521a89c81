// Paints normal anatomy (soft tissue, bowel gas, vertebrae, posterior elements, ribs, pelvis) into density layers.
import { addLowFrequency, type Layer, type Point } from './raster.ts';
import type { Rng } from './prng.ts';
import { toImage, type BodyGeom, type ViewGeometry } from './view-geometry.ts';

/** Bone densities (display fractions before contrast): cancellous body, cortex, endplates. */
export const DENSITY = {
  softTissue: 0.3,
  cancellous: 0.15,
  cortex: 0.15,
  endplate: 0.12,
  sclerosis: 0.16,
  metal: 1.6,
} as const;

/**
 * Paints a vertebral body: cancellous fill, brighter cortical rim, dense endplate lines.
 * Extra `sclerosisTop/Bot` bands model sclerotic endplates next to a narrowed disc.
 */
export function paintBody(bone: Layer, b: BodyGeom, spacing: number): void {
  const cos = Math.cos(b.angle);
  const sin = Math.sin(b.angle);
  const cortex = 1.3 / spacing;
  const endW = 1.1 / spacing;
  const ext = Math.max(b.halfW, Math.max(b.ha, b.hp) / 2) * 1.5;
  const invHalfW = 1 / b.halfW;
  const sclT = b.sclerosisTop;
  const sclB = b.sclerosisBot;
  const soft = Math.max(0.6, 0.15 / spacing);
  const invSoft = 1 / soft;
  const { halfW, ha, hp, cTop, cBot, waist } = b;
  const s = bone.scale;
  const x0 = Math.max(0, Math.floor((b.c.x - ext) / s));
  const x1 = Math.min(bone.width - 1, Math.ceil((b.c.x + ext) / s));
  const y0 = Math.max(0, Math.floor((b.c.y - ext) / s));
  const y1 = Math.min(bone.height - 1, Math.ceil((b.c.y + ext) / s));
  const d = bone.data;
  for (let cy = y0; cy <= y1; cy++) {
    const dy = (cy + 0.5) * s - b.c.y;
    for (let cx = x0; cx <= x1; cx++) {
      const dx = (cx + 0.5) * s - b.c.x;
      const u = dx * cos + dy * sin;
      const v = -dx * sin + dy * cos;
      const uu = u * invHalfW;
      if (uu < -1.3 || uu > 1.3) continue;
      const h = ha + (hp - ha) * (uu + 1) * 0.5;
      const q = uu < -1 || uu > 1 ? 0 : 1 - uu * uu;
      const top = -h / 2 + cTop * q;
      const bot = h / 2 - cBot * q;
      const vv = (2 * v) / h;
      const side = halfW - waist * (1 - (vv > 1 ? 1 : vv < -1 ? 1 : vv * vv));
      const dSide = side - (u < 0 ? -u : u);
      const dTop = v - top;
      const dBot = bot - v;
      let sd = dSide < dTop ? dSide : dTop;
      if (dBot < sd) sd = dBot;
      let cov = sd * invSoft + 0.5;
      if (cov <= 0) continue;
      if (cov > 1) cov = 1;
      let rim = (cortex - sd) * invSoft + 0.5;
      rim = rim < 0 ? 0 : rim > 1 ? 1 : rim;
      const dEnd = dTop < dBot ? dTop : dBot;
      let ep = (endW - dEnd) * invSoft + 0.5;
      ep = ep < 0 ? 0 : ep > 1 ? 1 : ep;
      let val = DENSITY.cancellous + DENSITY.cortex * rim + DENSITY.endplate * ep;
      if (sclT > 0 && dTop < sclT) val += DENSITY.sclerosis * (1 - dTop / sclT) ** 0.5;
      if (sclB > 0 && dBot < sclB) val += DENSITY.sclerosis * (1 - dBot / sclB) ** 0.5;
      d[cy * bone.width + cx] += val * cov;
    }
  }
}

/** Lateral-view landmarks of one level's posterior elements, in image pixels. */
export interface PosteriorLandmarks {
  /** Centre of the lower edge of the pedicle and of its upper edge. */
  pedicleBottom: Point;
  pedicleTop: Point;
}

/** Lateral view landmarks: pedicles sit in the upper part of the body, behind it. */
export function posteriorLandmarks(b: BodyGeom, spacing: number): PosteriorLandmarks {
  const h = b.nominalHeight;
  const r = 0.17 * h;
  const v = -0.2 * h;
  const u = b.halfW + 6 / spacing;
  return { pedicleBottom: toImage(b, u, v + r), pedicleTop: toImage(b, u, v - r) };
}

/** The intervertebral foramen under body `k` (lateral): a lucent oval between two pedicles. */
export function foramenGeometry(upper: BodyGeom, lower: BodyGeom, spacing: number): { c: Point; rx: number; ry: number; angle: number } {
  const a = posteriorLandmarks(upper, spacing).pedicleBottom;
  const b = posteriorLandmarks(lower, spacing).pedicleTop;
  const c = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  const ry = Math.hypot(b.x - a.x, b.y - a.y) / 2;
  const angle = Math.atan2(b.x - a.x, -(b.y - a.y)) * -1;
  return { c, rx: 4.2 / spacing, ry: ry * 0.92, angle };
}

/** Paints the soft tissue envelope, psoas and bowel gas into `soft`. */
export function paintSoftTissue(soft: Layer, g: ViewGeometry, rng: Rng, gasAmount: number): void {
  const mm = (v: number) => v / g.spacing;
  const s = soft.scale;
  const d = soft.data;
  if (g.view === 'ap') {
    // Thickness of an elliptical abdomen: brighter in the middle, darker at the flanks.
    const half = mm(rng.uniform(150, 185));
    const cx = g.midlineX + mm(rng.uniform(-10, 10));
    const col = new Float32Array(soft.width);
    for (let x = 0; x < soft.width; x++) {
      const t = ((x + 0.5) * s - cx) / half;
      col[x] = t >= 1 || t <= -1 ? 0 : DENSITY.softTissue * Math.sqrt(1 - t * t) ** 0.6;
    }
    for (let y = 0; y < soft.height; y++) {
      const off = y * soft.width;
      const k = 0.92 + 0.08 * (y / soft.height);
      for (let x = 0; x < soft.width; x++) d[off + x] = col[x] * k;
    }
    // Psoas: two triangles from L1 down to the pelvis, slightly denser than fat.
    const top = g.bodies[2] ?? g.bodies[0];
    const l5 = g.bodies[g.bodies.length - 1];
    for (const side of [-1, 1]) {
      const p0 = toImage(top, side * top.halfW * 0.6, -top.ha / 2);
      const p1 = toImage(top, side * top.halfW * 1.05, -top.ha / 2);
      const p2 = toImage(l5, side * (l5.halfW + mm(rng.uniform(45, 60))), l5.ha * 1.6);
      const p3 = toImage(l5, side * l5.halfW * 0.9, l5.ha * 1.6);
      soft.polygon([p0, p1, p2, p3], { fill: 0.035, soft: mm(6) });
    }
  } else {
    // Lateral: a thick, uniform trunk; air behind the back.
    const ramp = mm(40);
    const col = new Float32Array(soft.width);
    for (let x = 0; x < soft.width; x++) {
      const t = (g.backSkinX - (x + 0.5) * s) / ramp;
      col[x] = t <= 0 ? 0 : DENSITY.softTissue * 1.12 * Math.sqrt(t > 1 ? 1 : t);
    }
    for (let y = 0; y < soft.height; y++) {
      const off = y * soft.width;
      for (let x = 0; x < soft.width; x++) d[off + x] = col[x];
    }
  }
  // Low-frequency mottling (organs, fat planes) so the background is not flat.
  addLowFrequency(soft, Math.max(8, Math.round(mm(45) / soft.scale)), 0.02, () => rng.next());
  // Bowel gas: clusters of dark irregular blobs, mostly away from the spine column.
  const clusters = Math.round(gasAmount * rng.uniform(3, 7));
  for (let i = 0; i < clusters; i++) {
    let x: number;
    if (g.view === 'ap') {
      const side = rng.chance(0.5) ? -1 : 1;
      x = g.midlineX + side * mm(rng.uniform(20, 130));
    } else {
      x = g.bodies[g.bodies.length - 2].c.x - mm(rng.uniform(30, 150));
    }
    const y = g.height * rng.uniform(0.25, 0.95);
    const blobs = rng.int(2, 6);
    for (let j = 0; j < blobs; j++) {
      const c = { x: x + mm(rng.normal(0, 18)), y: y + mm(rng.normal(0, 14)) };
      soft.ellipse(c, mm(rng.uniform(6, 22)), mm(rng.uniform(5, 15)), rng.uniform(0, Math.PI), {
        fill: -rng.uniform(0.025, 0.06) * DENSITY.softTissue * 3,
        soft: mm(3),
      });
    }
  }
}

/** Paints every bone of the view (bodies, posterior elements, ribs, sacrum, pelvis) into `bone`. */
export function paintSkeleton(bone: Layer, g: ViewGeometry, levels: { transverse: number; name: string }[], rng: Rng): void {
  const mm = (v: number) => v / g.spacing;
  if (g.view === 'ap') paintPelvisAp(bone, g, mm, rng);
  else paintSacrumLateral(bone, g, mm);
  for (const b of g.bodies) {
    if (g.view === 'ap') paintPosteriorAp(bone, b, levels[b.index], mm);
    else paintPosteriorLateral(bone, b, mm);
  }
  for (const b of g.bodies) paintBody(bone, b, g.spacing);
  if (g.view === 'lateral') {
    // Foramina: lucent windows between pedicles (carve whatever bone overlaps them).
    for (let i = 0; i + 1 < g.bodies.length; i++) {
      const f = foramenGeometry(g.bodies[i], g.bodies[i + 1], g.spacing);
      bone.ellipse(f.c, f.rx, f.ry, f.angle, { fill: 0.85, soft: mm(1.2), mode: 'carve' });
    }
  }
}

function paintPosteriorAp(bone: Layer, b: BodyGeom, level: { transverse: number; name: string }, mm: (v: number) => number): void {
  const h = b.nominalHeight;
  const W = b.halfW * 2;
  // Laminae and facets: a faint butterfly over the lower half of the body.
  bone.ellipse(toImage(b, 0, 0.25 * h), b.halfW * 0.85, 0.45 * h, b.angle, { fill: 0.05, soft: mm(4) });
  // Spinous process: a midline teardrop reaching into the disc space below.
  bone.ellipse(toImage(b, 0, 0.38 * h), mm(4.5), 0.36 * h, b.angle, { fill: 0.05, rim: 0.12, rimWidth: mm(1.6), soft: mm(0.5) });
  if (level.transverse > 0) {
    for (const side of [-1, 1]) {
      const a = toImage(b, side * (b.halfW - 0.05 * W), -0.08 * h);
      const e = toImage(b, side * (b.halfW + mm(level.transverse)), -0.08 * h + mm(2));
      bone.capsule(a, e, mm(4.5), mm(3.2), { fill: 0.1, rim: 0.06, rimWidth: mm(1.2), soft: mm(0.6) });
    }
  } else {
    // Lower ribs articulate with the thoracic levels and sweep down and out.
    for (const side of [-1, 1]) {
      const pts = [
        toImage(b, side * (b.halfW + mm(2)), -0.25 * h),
        toImage(b, side * (b.halfW + mm(22)), 0.05 * h),
        toImage(b, side * (b.halfW + mm(45)), 0.8 * h),
        toImage(b, side * (b.halfW + mm(62)), 1.8 * h),
        toImage(b, side * (b.halfW + mm(70)), 2.5 * h),
      ];
      for (let i = 0; i + 1 < pts.length; i++) {
        bone.capsule(pts[i], pts[i + 1], mm(4.5 - i * 0.6), mm(4.5 - (i + 1) * 0.6), { fill: 0.04, rim: 0.06, rimWidth: mm(1.3), soft: mm(0.8) });
      }
    }
  }
  // Pedicles: paired oval rings in the upper lateral part of the body.
  for (const side of [-1, 1]) {
    const c = toImage(b, side * (b.halfW - 0.2 * W), -0.17 * h);
    bone.ellipse(c, 0.1 * W, 0.26 * h, b.angle, { fill: 0.04, rim: 0.16, rimWidth: mm(2), soft: mm(0.6) });
  }
}

function paintPosteriorLateral(bone: Layer, b: BodyGeom, mm: (v: number) => number): void {
  const h = b.nominalHeight;
  const hw = b.halfW;
  // Pedicle: a bar from the upper posterior body backwards.
  bone.capsule(toImage(b, hw - mm(3), -0.2 * h), toImage(b, hw + mm(13), -0.22 * h), 0.17 * h, 0.17 * h, {
    fill: 0.12, rim: 0.08, rimWidth: mm(1.5), soft: mm(0.7),
  });
  // Superior and inferior articular processes: the facet joints line up between levels.
  bone.capsule(toImage(b, hw + mm(14), -0.25 * h), toImage(b, hw + mm(16), -0.62 * h), mm(4.5), mm(3.8), {
    fill: 0.1, rim: 0.07, rimWidth: mm(1.4), soft: mm(0.7),
  });
  bone.capsule(toImage(b, hw + mm(19), 0.1 * h), toImage(b, hw + mm(20), 0.55 * h + mm(4)), mm(4.5), mm(3.8), {
    fill: 0.1, rim: 0.07, rimWidth: mm(1.4), soft: mm(0.7),
  });
  // Lamina and spinous process: a hatchet-shaped plate pointing backwards.
  bone.polygon(
    [
      toImage(b, hw + mm(14), -0.22 * h),
      toImage(b, hw + mm(44), -0.1 * h),
      toImage(b, hw + mm(49), 0.1 * h),
      toImage(b, hw + mm(46), 0.32 * h),
      toImage(b, hw + mm(20), 0.3 * h),
    ],
    { fill: 0.07, rim: 0.08, rimWidth: mm(1.8), soft: mm(0.8) },
  );
}

function paintPelvisAp(bone: Layer, g: ViewGeometry, mm: (v: number) => number, rng: Rng): void {
  const { c, angle } = g.sacrum;
  const f = { c, angle };
  // Sacrum: broad inverted trapezoid under L5 with rows of sacral foramina.
  const sac = [
    toImage(f, -mm(52), mm(-4)),
    toImage(f, mm(52), mm(-4)),
    toImage(f, mm(38), mm(45)),
    toImage(f, mm(16), mm(85)),
    toImage(f, -mm(16), mm(85)),
    toImage(f, -mm(38), mm(45)),
  ];
  bone.polygon(sac, { fill: 0.14, rim: 0.07, rimWidth: mm(2), soft: mm(1) });
  for (let i = 0; i < 4; i++) {
    for (const side of [-1, 1]) {
      bone.ellipse(toImage(f, side * mm(20 - i * 2.5), mm(14 + i * 15)), mm(4.5 - i * 0.6), mm(3.8 - i * 0.5), 0, {
        fill: 0.6, soft: mm(1), mode: 'carve',
      });
    }
  }
  // Iliac wings with their crests; the SI joints as lucent lines along the sacrum.
  const wiggle = rng.uniform(-6, 6);
  for (const side of [-1, 1]) {
    const wing = [
      [42, 70], [44, -5], [50, -35 + wiggle], [65, -55 + wiggle], [90, -66 + wiggle], [115, -62 + wiggle], [138, -44],
      [150, -16], [152, 20], [140, 55], [115, 95], [75, 108], [50, 95],
    ].map(([x, y]) => toImage(f, side * mm(x < 50 ? x : 50 + (x - 50) * 0.85), mm(y)));
    bone.polygon(wing, { fill: 0.045, rim: 0.1, rimWidth: mm(3), soft: mm(1) });
    bone.capsule(toImage(f, side * mm(44), mm(-5)), toImage(f, side * mm(40), mm(68)), mm(1.4), mm(1.4), {
      fill: 0.7, soft: mm(0.8), mode: 'carve',
    });
  }
}

function paintSacrumLateral(bone: Layer, g: ViewGeometry, mm: (v: number) => number): void {
  const { c, angle, halfW } = g.sacrum;
  const f = { c, angle };
  const hw = halfW;
  const sac = [
    [-hw, 0], [hw, 0], [hw + mm(16), mm(6)], [hw + mm(12), mm(40)], [hw - mm(4), mm(80)], [-mm(4), mm(105)],
    [-hw + mm(7), mm(70)], [-hw + mm(3), mm(30)],
  ].map(([u, v]) => toImage(f, u, v));
  bone.polygon(sac, { fill: 0.16, rim: 0.08, rimWidth: mm(2), soft: mm(1) });
  // S1 endplate.
  bone.capsule(toImage(f, -hw, mm(0.6)), toImage(f, hw, mm(0.6)), mm(0.9), mm(0.9), { fill: 0.1, soft: mm(0.6) });
  // Both iliac wings superimposed: a broad faint density with the crest line over L5.
  for (const [du, dv] of [[8, 0], [16, 8]]) {
    const ilium = toImage(f, hw + mm(du), mm(dv));
    bone.ellipse(ilium, mm(58), mm(46), -0.3, { fill: 0.018, rim: 0.035, rimWidth: mm(2.5), soft: mm(2) });
  }
  // Femoral heads are below the field; a hint of the hip joints at the bottom corner.
  bone.ellipse(toImage(f, -mm(20), mm(140)), mm(28), mm(28), 0, { fill: 0.12, rim: 0.06, rimWidth: mm(2), soft: mm(1) });
}
