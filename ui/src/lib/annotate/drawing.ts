// How marks are drawn: an arrow's head, a marker's number among the page's markers, a
// measure's label, and the names the marks list uses.

import type { Annotation, ImageScale, Point, Shape } from '../bindings';
import { lengthLabel, measuredLength, type ScreenPoint } from './geometry';

/** The arrow head's length as a multiple of the stroke, and its half-angle (radians). */
const HEAD_LENGTH = 4;
const HEAD_ANGLE = 0.45;

export function arrowHead(from: ScreenPoint, to: ScreenPoint, size: number): string {
  const ang = Math.atan2(to.y - from.y, to.x - from.x);
  const l = size * HEAD_LENGTH;
  const a1 = { x: to.x - l * Math.cos(ang - HEAD_ANGLE), y: to.y - l * Math.sin(ang - HEAD_ANGLE) };
  const a2 = { x: to.x - l * Math.cos(ang + HEAD_ANGLE), y: to.y - l * Math.sin(ang + HEAD_ANGLE) };
  return `${to.x},${to.y} ${a1.x},${a1.y} ${a2.x},${a2.y}`;
}

/** A marker's number: its place among the page's markers (1-based; 0 when it is not one). */
export function markerNumber(shown: Annotation[], id: string | undefined): number {
  return shown.filter((m) => m.kind === 'marker').map((m) => m.id).indexOf(id ?? '') + 1;
}

/** A measure's length as shown: in millimetres when the picture states its pixel spacing. */
export function measureLabel(from: Point, to: Point, scale: ImageScale | null, natural: { w: number; h: number }): string {
  return lengthLabel(measuredLength(from, to, scale ?? { width: natural.w, height: natural.h }, scale?.spacing ?? undefined));
}

export const KIND_NAMES: Record<Shape['kind'], string> = {
  marker: 'Marker',
  drawing: 'Pen',
  text: 'Text',
  highlight: 'Highlight',
  arrow: 'Arrow',
  measure: 'Measure',
};
