// Writes a phantom as a DICOM Part 10 file (DX, For Presentation, Explicit VR Little Endian) with dcmjs.
import { createRequire } from 'node:module';
import type { PhantomImage } from './phantom-generator.ts';

// dcmjs ships no type declarations; load it through require so strict TypeScript stays happy.
const dcmjs = createRequire(import.meta.url)('dcmjs') as {
  data: {
    DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; write(): ArrayBuffer };
    DicomMetaDictionary: { denaturalizeDataset(d: Record<string, unknown>): Record<string, unknown> };
  };
};

/** Digital X-Ray Image Storage - For Presentation. */
export const DX_FOR_PRESENTATION_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.1.1';
/** Explicit VR Little Endian. */
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** The implementation class UID written to the file meta header (made up, under 2.25). */
export const IMPLEMENTATION_CLASS_UID = '2.25.296409335618143547210361094287466915737';

/** Options of `toDicom`. */
export interface ToDicomOptions {
  /** Leave out the patient identity tags (anonymised variant). */
  anonymous?: boolean;
}

/**
 * Encodes a phantom as a DICOM file.
 * @example await writeFile('a.dcm', toDicom(generateImage({ seed: 1 })));
 */
export function toDicom(image: PhantomImage, opts: ToDicomOptions = {}): Uint8Array {
  const { ids, patient } = image;
  const view = image.view === 'ap' ? 'AP' : 'LL';
  const pixelBytes = new Uint8Array(image.pixels.byteLength);
  // Little-endian copy (the host is little-endian on every platform Node supports).
  pixelBytes.set(new Uint8Array(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength));
  const dataset: Record<string, unknown> = {
    SpecificCharacterSet: 'ISO_IR 100',
    ImageType: ['DERIVED', 'PRIMARY'],
    SOPClassUID: DX_FOR_PRESENTATION_SOP_CLASS,
    SOPInstanceUID: ids.sopInstanceUid,
    StudyDate: patient.studyDate,
    SeriesDate: patient.studyDate,
    ContentDate: patient.studyDate,
    StudyTime: patient.studyTime,
    ContentTime: patient.studyTime,
    AccessionNumber: opts.anonymous ? '' : patient.accessionNumber,
    Modality: 'DX',
    PresentationIntentType: 'FOR PRESENTATION',
    Manufacturer: image.profile === 'default' ? 'PHANTOM MEDICAL' : image.profile.toUpperCase(),
    InstitutionName: opts.anonymous ? '' : patient.institutionName,
    ReferringPhysicianName: opts.anonymous ? '' : patient.referringPhysicianName,
    StudyDescription: 'XR LUMBAR SPINE',
    SeriesDescription: `L-SPINE ${view}`,
    ManufacturerModelName: `SpineXR phantom (${image.profile})`,
    PatientName: opts.anonymous ? '' : patient.patientName,
    PatientID: opts.anonymous ? '' : patient.patientId,
    PatientBirthDate: opts.anonymous ? '' : patient.patientBirthDate,
    PatientSex: patient.patientSex,
    PatientAge: patient.patientAge,
    BodyPartExamined: 'LSPINE',
    ViewPosition: view,
    ImagerPixelSpacing: image.pixelSpacing,
    StudyInstanceUID: ids.studyInstanceUid,
    SeriesInstanceUID: ids.seriesInstanceUid,
    StudyID: ids.studyId.slice(0, 16),
    SeriesNumber: 1,
    InstanceNumber: 1,
    PatientOrientation: image.view === 'ap' ? ['R', 'F'] : ['A', 'F'],
    SamplesPerPixel: 1,
    PhotometricInterpretation: image.photometric,
    Rows: image.height,
    Columns: image.width,
    PixelSpacing: image.pixelSpacing,
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    PixelIntensityRelationship: 'LOG',
    PixelIntensityRelationshipSign: image.photometric === 'MONOCHROME1' ? -1 : 1,
    WindowCenter: image.windowCenter,
    WindowWidth: image.windowWidth,
    RescaleIntercept: image.rescaleIntercept,
    RescaleSlope: image.rescaleSlope,
    RescaleType: 'US',
    LossyImageCompression: '00',
    PixelData: [pixelBytes.buffer],
    _vrMap: { PixelData: 'OW' },
  };
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: DX_FOR_PRESENTATION_SOP_CLASS,
    MediaStorageSOPInstanceUID: ids.sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: 'SPINEXR_PH_1',
  };
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}
