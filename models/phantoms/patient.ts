// The phantom patient: spine dimensions in mm and the planned lesions, shared by every view of a study.
import { FINDINGS, type Finding } from '../../services/common/model-config.ts';
import type { Rng } from './prng.ts';
import type { ScannerProfile } from './scanner-profile.ts';

/** A radiographic projection of the lumbar spine. */
export const View = { AP: 'ap', Lateral: 'lateral' } as const;
export type View = (typeof View)[keyof typeof View];

/** One vertebra, in mm. `discBelow` is the normal disc height under it; `lordosisBelow` that disc's wedge angle (deg). */
export interface LevelSpec {
  name: string;
  height: number;
  width: number;
  depth: number;
  discBelow: number;
  lordosisBelow: number;
  /** Transverse process length (AP), 0 for thoracic levels (which carry ribs instead). */
  transverse: number;
}

/** A planned lesion, in anatomical terms; each view draws it where it is visible and boxes it. */
export type LesionPlan =
  | { kind: 'osteophyte'; level: number; endplate: 'top' | 'bottom'; side: -1 | 1; lengthMm: number; baseMm: number }
  | { kind: 'disc-narrowing'; level: number; remaining: number }
  | { kind: 'implant'; level: number; count: number; cage: boolean }
  | { kind: 'slip'; level: number; fraction: number }
  | { kind: 'foraminal-stenosis'; level: number; residual: number }
  | { kind: 'collapse'; level: number; shape: 'wedge' | 'biconcave'; loss: number }
  | { kind: 'focal'; level: number; type: 'sclerotic' | 'lytic'; diameterMm: number; du: number; dv: number };

/** The finding each lesion kind is labelled as. */
export const LESION_FINDING: Record<LesionPlan['kind'], Finding> = {
  osteophyte: 'Osteophytes',
  'disc-narrowing': 'Disc space narrowing',
  implant: 'Surgical implant',
  slip: 'Spondylolysthesis',
  'foraminal-stenosis': 'Foraminal stenosis',
  collapse: 'Vertebral collapse',
  focal: 'Other lesions',
};

/** Findings a view can show: slips and foramina are judged on the lateral view. */
export const VISIBLE_IN: Record<Finding, readonly View[]> = {
  Osteophytes: ['ap', 'lateral'],
  'Surgical implant': ['ap', 'lateral'],
  Spondylolysthesis: ['lateral'],
  'Foraminal stenosis': ['lateral'],
  'Disc space narrowing': ['ap', 'lateral'],
  'Vertebral collapse': ['ap', 'lateral'],
  'Other lesions': ['ap', 'lateral'],
};

/** The spine of one patient plus the planned lesions. Level index 0 is the top (T11); the last is L5. */
export interface PatientSpec {
  levels: LevelSpec[];
  /** Index of L1 in `levels`; lesions sit on L1..L5. */
  firstLumbar: number;
  /** Sacral slope in degrees (lateral view). */
  sacralSlope: number;
  lesions: LesionPlan[];
  sex: 'M' | 'F';
  age: number;
}

// Typical adult sizes (mm), from the reference: bodies grow from L1 to L5.
const BASE_LEVELS: LevelSpec[] = [
  { name: 'T11', height: 23, width: 36, depth: 28, discBelow: 6, lordosisBelow: -2, transverse: 0 },
  { name: 'T12', height: 24, width: 38, depth: 29, discBelow: 7, lordosisBelow: 2, transverse: 0 },
  { name: 'L1', height: 26, width: 42, depth: 30, discBelow: 8.5, lordosisBelow: 5, transverse: 14 },
  { name: 'L2', height: 27, width: 44, depth: 31, discBelow: 9.5, lordosisBelow: 8, transverse: 20 },
  { name: 'L3', height: 28, width: 46, depth: 32, discBelow: 10.5, lordosisBelow: 10, transverse: 27 },
  { name: 'L4', height: 28, width: 48, depth: 33, discBelow: 11, lordosisBelow: 12, transverse: 22 },
  { name: 'L5', height: 27, width: 50, depth: 33, discBelow: 10, lordosisBelow: 14, transverse: 18 },
];

/** Options that pin down the lesions (the rest is drawn from the seed). */
export interface LesionRequest {
  /** Exactly these findings (each at least once, nothing else). */
  forceFindings?: readonly Finding[];
  /** No findings at all. */
  normal?: boolean;
}

/**
 * Draws a patient: anatomy from `anatomy`, lesions from `lesions` (separate streams, so the same seed with and
 * without a finding gives the same anatomy).
 */
export function samplePatient(anatomy: Rng, lesions: Rng, profile: ScannerProfile, request: LesionRequest = {}): PatientSpec {
  const scale = anatomy.uniform(0.9, 1.1);
  const levels = BASE_LEVELS.map((l) => ({
    ...l,
    height: l.height * scale * anatomy.uniform(0.96, 1.04),
    width: l.width * scale * anatomy.uniform(0.96, 1.04),
    depth: l.depth * scale * anatomy.uniform(0.96, 1.04),
    discBelow: l.discBelow * scale * anatomy.uniform(0.9, 1.1),
    lordosisBelow: l.lordosisBelow * anatomy.uniform(0.7, 1.2),
    transverse: l.transverse * scale * anatomy.uniform(0.85, 1.15),
  }));
  const sex = anatomy.chance(0.5) ? 'M' : 'F';
  const age = anatomy.int(25, 85);
  const sacralSlope = anatomy.uniform(30, 42);
  const firstLumbar = 2;
  const findings = chooseFindings(lesions, profile, request);
  return { levels, firstLumbar, sacralSlope, sex, age, lesions: planLesions(lesions, findings, firstLumbar, levels.length) };
}

function chooseFindings(rng: Rng, profile: ScannerProfile, request: LesionRequest): Finding[] {
  if (request.normal) return [];
  if (request.forceFindings) return [...new Set(request.forceFindings)];
  if (!rng.chance(profile.abnormalShare)) return [];
  const chosen = FINDINGS.filter((f) => rng.chance(profile.prevalence[f]));
  // An abnormal patient shows something on every view, so one finding must be visible on the AP view too.
  if (!chosen.some((f) => VISIBLE_IN[f].includes('ap'))) {
    const both = FINDINGS.filter((f) => VISIBLE_IN[f].includes('ap'));
    const weights = both.map((f) => profile.prevalence[f] + 1e-6);
    let r = rng.next() * weights.reduce((a, b) => a + b, 0);
    let pick = both[0];
    for (let i = 0; i < both.length; i++) if ((r -= weights[i]) <= 0) { pick = both[i]; break; }
    chosen.push(pick);
  }
  return chosen;
}

function planLesions(rng: Rng, findings: Finding[], first: number, count: number): LesionPlan[] {
  const last = count - 1;
  const lumbar = (lo = first, hi = last) => rng.int(lo, hi);
  const usedBodies = new Set<number>();
  const freeBody = (lo = first, hi = last): number => {
    for (let tries = 0; tries < 20; tries++) {
      const l = lumbar(lo, hi);
      if (!usedBodies.has(l)) { usedBodies.add(l); return l; }
    }
    return lumbar(lo, hi);
  };
  const plans: LesionPlan[] = [];
  // Order matters for level choices: slips and implants first (they constrain the column).
  const order: Finding[] = ['Spondylolysthesis', 'Surgical implant', 'Vertebral collapse', 'Other lesions', 'Disc space narrowing', 'Foraminal stenosis', 'Osteophytes'];
  for (const f of order) {
    if (!findings.includes(f)) continue;
    switch (f) {
      case 'Spondylolysthesis': {
        // L3 on L4 or L4 on L5 (L4 most often); grade I–II.
        const level = rng.chance(0.7) ? last - 1 : last - 2;
        usedBodies.add(level);
        plans.push({ kind: 'slip', level, fraction: rng.uniform(0.18, 0.45) });
        break;
      }
      case 'Surgical implant': {
        const n = rng.chance(0.7) ? 2 : 3;
        plans.push({ kind: 'implant', level: lumbar(first + 1, last - n + 1), count: n, cage: rng.chance(0.5) });
        break;
      }
      case 'Vertebral collapse':
        plans.push({ kind: 'collapse', level: freeBody(first, last - 1), shape: rng.chance(0.6) ? 'wedge' : 'biconcave', loss: rng.uniform(0.35, 0.55) });
        break;
      case 'Other lesions':
        plans.push({
          kind: 'focal',
          level: freeBody(),
          type: rng.chance(0.5) ? 'sclerotic' : 'lytic',
          diameterMm: rng.uniform(10, 18),
          du: rng.uniform(-0.35, 0.35),
          dv: rng.uniform(-0.15, 0.15),
        });
        break;
      case 'Disc space narrowing':
        plans.push({ kind: 'disc-narrowing', level: lumbar(first, last - 1), remaining: rng.uniform(0.3, 0.55) });
        break;
      case 'Foraminal stenosis':
        plans.push({ kind: 'foraminal-stenosis', level: lumbar(first + 1, last - 1), residual: rng.uniform(0.15, 0.3) });
        break;
      case 'Osteophytes': {
        const n = rng.int(1, 3);
        const seen = new Set<string>();
        for (let i = 0; i < n; i++) {
          const level = lumbar(first + 1, last);
          const endplate = rng.chance(0.5) ? 'top' : 'bottom';
          const side = rng.chance(0.5) ? -1 : 1;
          const key = `${level}${endplate}`;
          if (seen.has(key)) continue;
          seen.add(key);
          plans.push({ kind: 'osteophyte', level, endplate, side, lengthMm: rng.uniform(7, 12), baseMm: rng.uniform(7, 10) });
        }
        break;
      }
    }
  }
  return plans;
}
