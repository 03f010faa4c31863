import { describe, expect, it } from 'vitest';
import { detailsLine, dragWindow, frameQuery, personName, PRESETS, studyDate, windowLabel } from './dicom';

describe('window/level', () => {
  it('dragging right widens and down raises the centre, scaled to the range', () => {
    const w = { width: 400, center: 40 };
    // A CT spans about 4000 units: 500 px across adds 4000 to the width.
    expect(dragWindow(w, 500, 0, -1024, 2976)).toEqual({ width: 4400, center: 40 });
    expect(dragWindow(w, 0, 50, -1024, 2976)).toEqual({ width: 400, center: 440 });
    // An 8-bit range moves slowly enough to hit single values.
    expect(dragWindow(w, 10, 0, 0, 255).width).toBeCloseTo(405.1);
  });

  it('the width never drops below one', () => {
    expect(dragWindow({ width: 10, center: 0 }, -1000, 0, 0, 4000).width).toBe(1);
  });

  it('presets are the radiology ones', () => {
    expect(PRESETS.find((p) => p.name === 'Lung')?.window).toEqual({ width: 1500, center: -600 });
    expect(PRESETS.map((p) => p.name)).toEqual(['Soft tissue', 'Lung', 'Bone', 'Brain', 'Liver']);
  });

  it('says the window in words and asks for it in the frame URL', () => {
    expect(windowLabel({ width: 1500, center: -600.4 })).toBe('W 1500 · C -600');
    expect(windowLabel({ width: 2.25, center: 0.5 })).toBe('W 2.3 · C 0.5');
    expect(frameQuery({ width: 400, center: 40 })).toBe('?c=40.00&w=400.00');
    expect(frameQuery(null)).toBe('');
  });

  it('reads DICOM person names', () => {
    expect(personName('GARCIA^MARIA')).toBe('MARIA GARCIA');
    expect(personName('CompressedSamples^MR1')).toBe('MR1 CompressedSamples');
    expect(personName('Lee')).toBe('Lee');
    expect(studyDate('20040119')).toBe('2004-01-19');
    expect(studyDate('2004')).toBe('2004');
  });
});

describe('what the file says', () => {
  const d = { patient_name: 'GARCIA^MARIA', patient_id: 'MRN-1', study_date: '20261130', modality: 'DX', body_part: 'KNEE', study_description: 'Knee', series_description: null, encoding: 'uncompressed' };
  it('lists what is there, in order', () => {
    expect(detailsLine(d, 'patient')).toBe(' · ID MRN-1 · DX · KNEE · 2026-11-30 · Knee');
    expect(detailsLine({ ...d, patient_id: null, body_part: null }, 'detector')).toBe(' · DX · 2026-11-30 · Knee · lengths at the detector (imager pixel spacing)');
  });
});
