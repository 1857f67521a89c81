// Scanner profiles: named acquisition knobs (contrast, noise, exposure, size, prevalence) that make phantoms vary like hospitals do.
import { z } from 'zod';
import { FINDINGS, type Finding } from '../../services/common/model-config.ts';

const Range = z
  .tuple([z.number(), z.number()])
  .refine(([lo, hi]) => lo <= hi, { message: 'range must be [low, high] with low <= high' });

const PrevalenceSchema = z
  .object(Object.fromEntries(FINDINGS.map((f) => [f, z.number().min(0).max(1)])) as Record<Finding, z.ZodNumber>)
  .strict();

/** The knobs of one scanner profile; validate with `parseScannerProfile`. */
export const ScannerProfileSchema = z
  .object({
    name: z.string().min(1),
    /** DICOM Manufacturer / InstitutionName written into the files. */
    manufacturer: z.string().min(1),
    institution: z.string().min(1),
    /** Gain from attenuation to stored value; lower = flatter image. */
    contrast: z.number().positive().max(3),
    /** Bone-to-soft-tissue contrast multiplier. */
    boneContrast: z.number().positive().max(3),
    /** Quantum noise level (standard deviation at unit exposure, in display fractions). */
    noise: z.number().min(0).max(0.2),
    /** Relative dose: noise scales with 1/sqrt(exposure). */
    exposure: z.number().positive().max(10),
    /** Anode heel effect: relative exposure drop from top to bottom of the image. */
    heel: z.number().min(0).max(0.8),
    /** Detector blur, Gaussian sigma in mm. */
    blurMm: z.number().min(0).max(2),
    /** Image rows and columns, drawn per image. */
    rows: Range,
    columns: Range,
    /** Field of view height in mm; the pixel spacing is fov / rows (clamped to 0.1–0.2 mm). */
    fieldOfViewMm: Range,
    /** Share of images stored as MONOCHROME1 (bone dark in stored values). */
    monochrome1Share: z.number().min(0).max(1),
    /** Share of images stored with Rescale Slope 2 / Intercept -1024 instead of 1 / 0. */
    rescaledShare: z.number().min(0).max(1),
    /** Share of studies (patients) with at least one finding. */
    abnormalShare: z.number().min(0).max(1),
    /** For an abnormal patient, the probability that each finding is present. */
    prevalence: PrevalenceSchema,
    /** Bowel gas amount (0 = none, 1 = typical). */
    bowelGas: z.number().min(0).max(3),
  })
  .strict()
  .refine((p) => p.rows[0] >= 256 && p.columns[0] >= 256 && p.rows[1] <= 4096 && p.columns[1] <= 4096, {
    message: 'rows and columns must lie in 256..4096',
  });
export type ScannerProfile = z.infer<typeof ScannerProfileSchema>;

/** A profile failed validation; `cause` keeps the zod error. */
export class InvalidScannerProfile extends Error {
  override name = 'InvalidScannerProfile';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const DEFAULT_PREVALENCE: Record<Finding, number> = {
  Osteophytes: 0.45,
  'Surgical implant': 0.12,
  Spondylolysthesis: 0.15,
  'Foraminal stenosis': 0.15,
  'Disc space narrowing': 0.3,
  'Vertebral collapse': 0.15,
  'Other lesions': 0.15,
};

/** The built-in profiles. `default` is a clean modern DR room. */
export const SCANNER_PROFILES = {
  default: {
    name: 'default',
    manufacturer: 'PHANTOM MEDICAL',
    institution: 'Phantom General Hospital',
    contrast: 1.0,
    boneContrast: 1.0,
    noise: 0.006,
    exposure: 1,
    heel: 0.15,
    blurMm: 0.25,
    rows: [2000, 3000],
    columns: [1400, 2600],
    fieldOfViewMm: [330, 400],
    monochrome1Share: 0.3,
    rescaledShare: 0.2,
    abnormalShare: 0.5,
    prevalence: DEFAULT_PREVALENCE,
    bowelGas: 1,
  },
  'siemens-like-noisy': {
    name: 'siemens-like-noisy',
    manufacturer: 'SIEMENZ-LIKE',
    institution: 'Riverside Phantom Clinic',
    contrast: 0.8,
    boneContrast: 0.85,
    noise: 0.012,
    exposure: 0.8,
    heel: 0.25,
    blurMm: 0.35,
    rows: [2200, 3000],
    columns: [1800, 2600],
    fieldOfViewMm: [340, 420],
    monochrome1Share: 0.6,
    rescaledShare: 0.5,
    abnormalShare: 0.5,
    prevalence: { ...DEFAULT_PREVALENCE, Osteophytes: 0.55, 'Disc space narrowing': 0.35 },
    bowelGas: 1.4,
  },
  'portable-lowdose': {
    name: 'portable-lowdose',
    manufacturer: 'MOBILE PHANTOM',
    institution: 'Phantom Community Hospital ICU',
    contrast: 0.9,
    boneContrast: 0.9,
    noise: 0.008,
    exposure: 0.4,
    heel: 0.35,
    blurMm: 0.5,
    rows: [2000, 2500],
    columns: [1400, 2000],
    fieldOfViewMm: [330, 380],
    monochrome1Share: 0.1,
    rescaledShare: 0.1,
    abnormalShare: 0.5,
    prevalence: { ...DEFAULT_PREVALENCE, 'Surgical implant': 0.25, 'Vertebral collapse': 0.25 },
    bowelGas: 2,
  },
} as const satisfies Record<string, ScannerProfile>;
export type ScannerProfileName = keyof typeof SCANNER_PROFILES;

/** The default profile's name. */
export const DEFAULT_SCANNER_PROFILE: ScannerProfileName = 'default';

/**
 * Validates a profile object (for example one read from a JSON file).
 * @example parseScannerProfile({ ...SCANNER_PROFILES.default, noise: 0.03, name: 'mine' })
 * @throws InvalidScannerProfile with the zod issues in the message
 */
export function parseScannerProfile(input: unknown): ScannerProfile {
  const r = ScannerProfileSchema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(profile)'}: ${i.message}`).join('; ');
    throw new InvalidScannerProfile(`invalid scanner profile: ${issues}`, { cause: r.error });
  }
  return r.data;
}

/**
 * A built-in profile by name, or a custom profile object, validated.
 * @example resolveScannerProfile('portable-lowdose')
 */
export function resolveScannerProfile(profile: ScannerProfileName | string | ScannerProfile = DEFAULT_SCANNER_PROFILE): ScannerProfile {
  if (typeof profile === 'string') {
    const p = (SCANNER_PROFILES as Record<string, ScannerProfile>)[profile];
    if (!p) {
      throw new InvalidScannerProfile(
        `unknown scanner profile "${profile}"; known: ${Object.keys(SCANNER_PROFILES).join(', ')}`,
      );
    }
    return parseScannerProfile(p);
  }
  return parseScannerProfile(profile);
}
