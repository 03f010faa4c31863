// Window/level for DICOM in the viewer: the presets radiology viewers offer, the drag of the
// window tool (across = width, down = centre, speed scaled to the image's range), and the words
// on screen. The picture itself is drawn in Rust at the window chosen (one display pipeline).

import type { DicomDetails, SpacingSource, Window } from './bindings';

/** Presets as width/centre in Hounsfield units (CT); the file's own window is offered too. */
export const PRESETS: { name: string; window: Window }[] = [
  { name: 'Soft tissue', window: { width: 400, center: 40 } },
  { name: 'Lung', window: { width: 1500, center: -600 } },
  { name: 'Bone', window: { width: 2500, center: 480 } },
  { name: 'Brain', window: { width: 80, center: 40 } },
  { name: 'Liver', window: { width: 150, center: 90 } },
];

/**
 * The window after dragging `dx`, `dy` screen pixels: right widens, down raises the centre.
 * One pass across 500 pixels changes the width by the image's whole range (at least 1 unit
 * per 10 pixels), so small and large ranges feel the same. The width stays at least 1.
 */
export function dragWindow(w: Window, dx: number, dy: number, low: number, high: number): Window {
  const perPixel = Math.max(0.1, (high - low) / 500);
  return { width: Math.max(1, w.width + dx * perPixel), center: w.center + dy * perPixel };
}

/** "W 400 · C 40", rounded to what a reader compares. */
export function windowLabel(w: Window): string {
  const r = (v: number) => (Math.abs(v) >= 10 ? Math.round(v) : Math.round(v * 10) / 10);
  return `W ${r(w.width)} · C ${r(w.center)}`;
}

/** The query that asks Rust for a frame at `w` (nothing: the file's own display). */
export function frameQuery(w: Window | null): string {
  return w ? `?c=${encodeURIComponent(w.center.toFixed(2))}&w=${encodeURIComponent(w.width.toFixed(2))}` : '';
}

/** "GARCIA^MARIA" as "Maria Garcia"-like words: DICOM person names are family^given^middle. */
export function personName(dicom: string): string {
  const [family = '', given = '', middle = ''] = dicom.split('=')[0].split('^');
  return [given, middle, family].map((s) => s.trim()).filter(Boolean).join(' ');
}

/** DICOM's YYYYMMDD as YYYY-MM-DD (anything else as written). */
export function studyDate(d: string): string {
  return /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : d;
}

/** What the file says after the patient's name: " · ID … · CT · HEAD · 2026-11-30 · series". */
export function detailsLine(d: DicomDetails, spacing: SpacingSource | null): string {
  const parts = [
    d.patient_id ? `ID ${d.patient_id}` : '',
    d.modality ?? '',
    d.body_part ?? '',
    d.study_date ? studyDate(d.study_date) : '',
    d.series_description ?? d.study_description ?? '',
    spacing === 'detector' ? 'lengths at the detector (imager pixel spacing)' : '',
  ].filter(Boolean);
  return parts.map((p) => ` · ${p}`).join('');
}
