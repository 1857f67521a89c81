// Public API of the spine phantom generator: images, studies, display mapping, DICOM/PNG/dataset writers.
export { generateImage, generateStudy, InvalidPhantomRequest } from './phantom-generator.ts';
export type { GenerateImageOptions, GenerateStudyOptions, PhantomImage, PhantomIds, PhantomStudy, Photometric } from './phantom-generator.ts';
export { toDisplay, toDisplayUint16, windowLinear, type DisplayInput } from './display.ts';
export { toDicom, type ToDicomOptions } from './dicom-writer.ts';
export { annotationRows, imageRow, toDisplayPng, writeDataset, ANNOTATIONS_HEADER, IMAGES_HEADER } from './dataset-writer.ts';
export type { DatasetSummary, WriteDatasetOptions } from './dataset-writer.ts';
export { SCANNER_PROFILES, DEFAULT_SCANNER_PROFILE, InvalidScannerProfile, parseScannerProfile, resolveScannerProfile, ScannerProfileSchema } from './scanner-profile.ts';
export type { ScannerProfile, ScannerProfileName } from './scanner-profile.ts';
export type { LesionBox } from './lesion-painter.ts';
export { View } from './patient.ts';
export { MAX_STORED } from './detector.ts';
export { writePreview, writePreviews } from './preview.ts';
