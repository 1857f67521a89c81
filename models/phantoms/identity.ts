// Fake but realistic-looking patient identity and DICOM UIDs for phantoms (so privacy handling can be tested).
import type { PatientSpec } from './patient.ts';
import type { Rng } from './prng.ts';
import type { ScannerProfile } from './scanner-profile.ts';

/** The made-up UID root: `2.25.<128-bit decimal>` (ITU-T X.667 UUID-derived form). */
export const UID_ROOT = '2.25';

/** A DICOM UID from 32 hex digits. */
export function makeUid(hex32: string): string {
  return `${UID_ROOT}.${BigInt(`0x${hex32}`).toString(10)}`;
}

/** Patient and study tags written to the DICOM file; all invented. */
export interface PatientTags {
  patientName: string;
  patientId: string;
  patientBirthDate: string;
  patientSex: 'M' | 'F';
  patientAge: string;
  institutionName: string;
  accessionNumber: string;
  studyDate: string;
  studyTime: string;
  referringPhysicianName: string;
}

const FAMILY = ['NGUYEN', 'TRAN', 'LE', 'PHAM', 'HOANG', 'HUYNH', 'VO', 'DANG', 'BUI', 'DO', 'SMITH', 'MUELLER', 'GARCIA', 'ROSSI', 'DUBOIS', 'KOWALSKI'];
const MIDDLE = ['VAN', 'THI', 'DUC', 'MINH', 'NGOC', 'HUU', ''];
const GIVEN_M = ['AN', 'BINH', 'CUONG', 'DUNG', 'HUNG', 'KHANH', 'LONG', 'NAM', 'PHUC', 'QUANG', 'JOHN', 'PETER', 'MARCO'];
const GIVEN_F = ['ANH', 'CHI', 'HA', 'HOA', 'LAN', 'LINH', 'MAI', 'NGA', 'THAO', 'YEN', 'ANNA', 'MARIE', 'LUCIA'];

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Draws invented patient tags consistent with the patient's sex and age. */
export function makePatientTags(rng: Rng, patient: PatientSpec, profile: ScannerProfile): PatientTags {
  const year = rng.int(2018, 2023);
  const month = rng.int(1, 12);
  const day = rng.int(1, 28);
  const given = rng.pick(patient.sex === 'M' ? GIVEN_M : GIVEN_F);
  const middle = rng.pick(MIDDLE);
  return {
    patientName: `${rng.pick(FAMILY)}^${middle ? `${middle} ` : ''}${given}`,
    patientId: `PX${pad(rng.int(0, 99_999_999), 8)}`,
    patientBirthDate: `${year - patient.age}${pad(rng.int(1, 12))}${pad(rng.int(1, 28))}`,
    patientSex: patient.sex,
    patientAge: `${pad(patient.age, 3)}Y`,
    institutionName: profile.institution,
    accessionNumber: `ACC${pad(rng.int(0, 999_999_999), 9)}`,
    studyDate: `${year}${pad(month)}${pad(day)}`,
    studyTime: `${pad(rng.int(7, 19))}${pad(rng.int(0, 59))}${pad(rng.int(0, 59))}`,
    referringPhysicianName: `${rng.pick(FAMILY)}^${rng.pick([...GIVEN_M, ...GIVEN_F])}`,
  };
}
