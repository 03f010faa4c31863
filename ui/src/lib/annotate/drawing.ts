// How marks are drawn: an arrow's head, a marker's number among the page's markers, a
// measure's or an angle's label, an angle's arc, and the names the marks list uses.

import type { Annotation, ImageScale, Point, Shape } from '../bindings';
import { degreesLabel, lengthLabel, measuredAngle, measuredLength, type ScreenPoint } from './geometry';

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

/** An angle as shown, in the picture's real proportions (its pixels and their spacing). */
export function angleLabel(from: Point, vertex: Point, to: Point, scale: ImageScale | null, natural: { w: number; h: number }): string {
  return degreesLabel(measuredAngle(from, vertex, to, scale ?? { width: natural.w, height: natural.h }, scale?.spacing ?? undefined));
}

/** The label a mark carries on the page: a length or an angle; other marks have none. */
export function markLabel(a: Shape, scale: ImageScale | null, natural: { w: number; h: number }): string {
  if (a.kind === 'measure') return measureLabel(a.geometry.from, a.geometry.to, scale, natural);
  if (a.kind === 'angle') return angleLabel(a.geometry.from, a.geometry.vertex, a.geometry.to, scale, natural);
  return '';
}

/** Where an angle's arc is drawn from its vertex: a share of its shorter arm, in page pixels. */
export function angleArc(from: ScreenPoint, vertex: ScreenPoint, to: ScreenPoint): string {
  const a0 = Math.atan2(from.y - vertex.y, from.x - vertex.x);
  const a1 = Math.atan2(to.y - vertex.y, to.x - vertex.x);
  const r = 0.25 * Math.min(Math.hypot(from.x - vertex.x, from.y - vertex.y), Math.hypot(to.x - vertex.x, to.y - vertex.y));
  // The short way round: sweep the angle between the arms that is under 180°.
  let d = a1 - a0;
  while (d > Math.PI) d -= 2 * Math.PI;
  while (d < -Math.PI) d += 2 * Math.PI;
  const p0 = { x: vertex.x + r * Math.cos(a0), y: vertex.y + r * Math.sin(a0) };
  const p1 = { x: vertex.x + r * Math.cos(a0 + d), y: vertex.y + r * Math.sin(a0 + d) };
  return `M ${p0.x} ${p0.y} A ${r} ${r} 0 0 ${d > 0 ? 1 : 0} ${p1.x} ${p1.y}`;
}

export const KIND_NAMES: Record<Shape['kind'], string> = {
  marker: 'Marker',
  drawing: 'Pen',
  text: 'Text',
  highlight: 'Highlight',
  arrow: 'Arrow',
  measure: 'Measure',
  angle: 'Angle',
};
