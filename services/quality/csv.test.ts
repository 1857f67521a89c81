// The evaluation CSVs: parsing, the rare-lesion mapping, the writer's round trip, and one refusal
// per malformed case, each naming the file, the line and the problem.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidInput } from '../common/errors.ts';
import { CsvFormatError, formatPredictions, pairImages, parseAnnotations, parsePredictions } from './csv.ts';

const A_HEAD = 'study_id,series_id,image_id,rad_id,lesion_type,xmin,ymin,xmax,ymax';
const P_HEAD = 'image_id,abnormal_score,lesion_type,score,xmin,ymin,xmax,ymax';
const annotations = [
  A_HEAD,
  's1,se1,img1,R1,No finding,,,,',
  's2,se2,img2,R2,Osteophytes,10,20,110.5,220',
  's2,se2,img2,R2,Fracture,5,5,50,50',
  's3,se3,img3,R3,Disc space narrowing,1,2,3,4',
].join('\n');
const predictions = [
  P_HEAD,
  'img1,0.1,,,,,,',
  'img2,0.9,Osteophytes,0.8,11,20,110,221',
  'img2,0.9,Other lesions,0.6,5,5,49,49',
  'img3,0.4,Surgical implant,0.3,1,2,3,4',
].join('\n');

function refuses(fn: () => unknown, file: string, line: number, problem: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, CsvFormatError);
    assert.instance(err, InvalidInput);
    const e = err as CsvFormatError;
    assert.is(e.file, file);
    assert.is(e.line, line, `line of: ${e.message}`);
    assert.match(e.problem, problem);
    assert.ok(e.message.startsWith(`${file}:${line}: `), e.message);
    return;
  }
  assert.unreachable(`expected a CsvFormatError matching ${problem}`);
}

test('annotations: normal image, boxes, rare lesions become "Other lesions"', () => {
  const a = parseAnnotations(annotations, 'a.csv');
  assert.equal([...a.images.keys()], ['img1', 'img2', 'img3']);
  const img1 = a.images.get('img1')!;
  assert.is(img1.abnormal, false);
  assert.equal(img1.boxes, []);
  const img2 = a.images.get('img2')!;
  assert.is(img2.abnormal, true);
  assert.is(img2.line, 3);
  assert.equal(img2.boxes, [
    { label: 'Osteophytes', xmin: 10, ymin: 20, xmax: 110.5, ymax: 220 },
    { label: 'Other lesions', xmin: 5, ymin: 5, xmax: 50, ymax: 50 },
  ]);
  for (const rare of ['Ankylosis', 'Enthesophytes', 'Fracture', 'Sclerotic lesion', 'Subchondral sclerosis', 'Foreign body']) {
    const one = parseAnnotations(`${A_HEAD}\ns,se,i,R,${rare},0,0,1,1\n`, 'a.csv');
    assert.is(one.images.get('i')!.boxes[0].label, 'Other lesions', rare);
  }
});

test('annotations tolerate a BOM, CRLF, blank lines, extra columns and column order', () => {
  const text = '\ufeffimage_id,lesion_type,xmin,ymin,xmax,ymax,rad_id,series_id,study_id,extra\r\n\r\ni1,Osteophytes,0,0,1,1,R,se,s,x\r\n';
  assert.is(parseAnnotations(text, 'a.csv').images.get('i1')!.boxes.length, 1);
});

test('predictions: boxes and box-less images; the writer round-trips', () => {
  const p = parsePredictions(predictions, 'p.csv');
  assert.is(p.images.get('img1')!.detections.length, 0);
  assert.is(p.images.get('img2')!.abnormalScore, 0.9);
  assert.is(p.images.get('img2')!.detections[1].label, 'Other lesions');
  const again = parsePredictions(formatPredictions(p.images.values()), 'again.csv');
  for (const [id, im] of p.images) {
    assert.equal({ ...again.images.get(id)!, line: 0 }, { ...im, line: 0 });
  }
  const odd = formatPredictions([{ imageId: 'a,"b"', abnormalScore: 1 / 3, detections: [] }]);
  assert.is(parsePredictions(odd, 'odd.csv').images.get('a,"b"')!.abnormalScore, 1 / 3);
});

test('pairing in annotation order', () => {
  const pairs = pairImages(parseAnnotations(annotations, 'a.csv'), parsePredictions(predictions, 'p.csv'));
  assert.equal(pairs.map((p) => p.annotation.imageId), ['img1', 'img2', 'img3']);
  assert.is(pairs[1].prediction.detections.length, 2);
});

test('refused: missing columns', () => {
  refuses(() => parseAnnotations('study_id,image_id,lesion_type,xmin,ymin,xmax\ns,i,Osteophytes,0,0,1', 'a.csv'), 'a.csv', 1, /missing columns series_id, rad_id, ymax/);
  refuses(() => parsePredictions('image_id,lesion_type,score,xmin,ymin,xmax,ymax\n', 'p.csv'), 'p.csv', 1, /missing column abnormal_score/);
  refuses(() => parseAnnotations('', 'a.csv'), 'a.csv', 1, /empty file/);
});

test('refused: a row with too few fields, broken quoting', () => {
  refuses(() => parseAnnotations(`${A_HEAD}\ns,se,i,R,Osteophytes,0,0,1`, 'a.csv'), 'a.csv', 2, /8 fields, the header has 9/);
  refuses(() => parsePredictions(`${P_HEAD}\ni,0.5,"Osteophytes,0.5,0,0,1,1\n`, 'p.csv'), 'p.csv', 2, /not valid CSV/);
});

test('refused: unknown lesion names', () => {
  refuses(() => parseAnnotations(`${A_HEAD}\ns,se,i,R,Osteophyte,0,0,1,1`, 'a.csv'), 'a.csv', 2, /unknown lesion_type "Osteophyte"/);
  // Predictions carry only the 7 findings.
  refuses(() => parsePredictions(`${P_HEAD}\ni,0.5,Fracture,0.5,0,0,1,1`, 'p.csv'), 'p.csv', 2, /unknown lesion_type "Fracture"/);
});

test('refused: boxes with xmax < xmin or ymax < ymin', () => {
  refuses(() => parseAnnotations(`${A_HEAD}\ns,se,i,R,Osteophytes,0,0,1,1\ns,se,i,R,Osteophytes,10,0,5,1`, 'a.csv'), 'a.csv', 3, /xmax 5 is less than xmin 10/);
  refuses(() => parsePredictions(`${P_HEAD}\ni,0.5,Osteophytes,0.5,0,9,1,1`, 'p.csv'), 'p.csv', 2, /ymax 1 is less than ymin 9/);
});

test('refused: non-numeric or out-of-range scores and coordinates', () => {
  refuses(() => parsePredictions(`${P_HEAD}\ni,high,,,,,,`, 'p.csv'), 'p.csv', 2, /abnormal_score "high" is not a number/);
  refuses(() => parsePredictions(`${P_HEAD}\ni,0.5,Osteophytes,0x1,0,0,1,1`, 'p.csv'), 'p.csv', 2, /score "0x1" is not a number/);
  refuses(() => parsePredictions(`${P_HEAD}\ni,1.5,,,,,,`, 'p.csv'), 'p.csv', 2, /abnormal_score 1.5 is outside \[0, 1\]/);
  refuses(() => parsePredictions(`${P_HEAD}\ni,0.5,Osteophytes,,0,0,1,1`, 'p.csv'), 'p.csv', 2, /score is empty/);
  refuses(() => parseAnnotations(`${A_HEAD}\ns,se,i,R,Osteophytes,0,zero,1,1`, 'a.csv'), 'a.csv', 2, /ymin "zero" is not a number/);
  refuses(() => parseAnnotations(`${A_HEAD}\ns,se,i,R,Osteophytes,,,,`, 'a.csv'), 'a.csv', 2, /xmin is empty/);
});

test('refused: inconsistent abnormal_score for one image', () => {
  refuses(() => parsePredictions(`${P_HEAD}\ni,0.5,Osteophytes,0.5,0,0,1,1\ni,0.6,Osteophytes,0.4,0,0,1,1`, 'p.csv'), 'p.csv', 3, /abnormal_score 0.6 of image i differs from 0.5 on line 2/);
});

test('refused: duplicate ids where they must be unique', () => {
  refuses(() => parseAnnotations(`${A_HEAD}\ns,se,i,R,No finding,,,,\ns,se,i,R,No finding,,,,`, 'a.csv'), 'a.csv', 3, /duplicate "No finding" row for image i \(first on line 2\)/);
  refuses(() => parsePredictions(`${P_HEAD}\ni,0.5,,,,,,\ni,0.5,,,,,,`, 'p.csv'), 'p.csv', 3, /duplicate box-less row for image i/);
  refuses(() => parseAnnotations(`${A_HEAD}\ns1,se,i,R,Osteophytes,0,0,1,1\ns2,se,i,R,Osteophytes,0,0,1,1`, 'a.csv'), 'a.csv', 3, /image_id i appears with study_id\/series_id s2\/se/);
  refuses(() => parseAnnotations(`${A_HEAD}\ns,se,,R,Osteophytes,0,0,1,1`, 'a.csv'), 'a.csv', 2, /image_id is empty/);
});

test('refused: contradictory rows of one image', () => {
  refuses(() => parseAnnotations(`${A_HEAD}\ns,se,i,R,Osteophytes,0,0,1,1\ns,se,i,R,No finding,,,,`, 'a.csv'), 'a.csv', 3, /both "No finding" and lesion rows/);
  refuses(() => parseAnnotations(`${A_HEAD}\ns,se,i,R,No finding,0,0,1,1`, 'a.csv'), 'a.csv', 2, /has box coordinates/);
  refuses(() => parsePredictions(`${P_HEAD}\ni,0.5,Osteophytes,0.5,0,0,1,1\ni,0.5,,,,,,`, 'p.csv'), 'p.csv', 3, /box-less row for image i, which has boxes/);
});

test('refused: an image in the predictions but not in the annotations, and vice versa', () => {
  const a = parseAnnotations(annotations, 'a.csv');
  refuses(() => pairImages(a, parsePredictions(`${predictions}\nimg9,0.5,,,,,,`, 'p.csv')), 'p.csv', 6, /image img9 is not in the annotations a.csv/);
  refuses(() => pairImages(a, parsePredictions(predictions.split('\n').slice(0, 4).join('\n'), 'p.csv')), 'a.csv', 5, /image img3 has no predictions in p.csv/);
});

test.run();
