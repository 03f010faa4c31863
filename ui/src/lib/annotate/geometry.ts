// Annotation geometry: marks live in normalised page coordinates (0..1 on both axes, origin
// top-left, as crates/clinicdocs-core/src/annotation.rs stores them) and are drawn through the
// viewer's view (lib/viewer.ts: zoom and pan) of a page of `w` × `h` pixels. Everything here is
// pure, so a mark's screen position can be checked at any zoom, pan, window size or render
// resolution (only the ratio of the page's sides matters).
import type { Point, Shape } from '../bindings';
import type { View } from '../viewer';

/** A position on the screen, in CSS pixels relative to the viewer's top-left corner. */
export type ScreenPoint = { x: number; y: number };

/** The viewer's view of a page drawn `w` × `h` pixels at scale 1. */
export type PageView = View & { w: number; h: number };

export type Rect = { x: number; y: number; w: number; h: number };

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

export function toScreen(p: Point, v: PageView): ScreenPoint {
  return { x: v.x + p.x * v.w * v.scale, y: v.y + p.y * v.h * v.scale };
}

/** The page point under a screen position; clamped onto the page unless `clamp` is false. */
export function toPage(s: ScreenPoint, v: PageView, clamp = true): Point {
  const x = (s.x - v.x) / (v.w * v.scale);
  const y = (s.y - v.y) / (v.h * v.scale);
  return clamp ? { x: clamp01(x), y: clamp01(y) } : { x, y };
}

/** The points that define a shape (its handles). */
export function handles(shape: Shape): Point[] {
  switch (shape.kind) {
    case 'marker':
    case 'text':
      return [shape.geometry];
    case 'drawing':
      return shape.geometry.points;
    case 'highlight': {
      const { x, y, w, h } = shape.geometry;
      return [{ x, y }, { x: x + w, y: y + h }];
    }
    case 'arrow':
    case 'measure':
      return [shape.geometry.from, shape.geometry.to];
    case 'angle':
      return [shape.geometry.from, shape.geometry.vertex, shape.geometry.to];
  }
}

/** The smallest page rectangle holding the shape. */
export function bounds(shape: Shape): Rect {
  const ps = handles(shape);
  const xs = ps.map((p) => p.x);
  const ys = ps.map((p) => p.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
}

/** Distance from `p` to the segment `a`–`b`. */
export function distToSegment(p: ScreenPoint, a: ScreenPoint, b: ScreenPoint): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

/** Whether a screen point touches the shape as drawn, within `tolerance` screen pixels. */
export function hits(shape: Shape, s: ScreenPoint, v: PageView, tolerance = 6): boolean {
  const sp = (p: Point) => toScreen(p, v);
  switch (shape.kind) {
    case 'marker':
    case 'text': {
      const c = sp(shape.geometry);
      return Math.hypot(s.x - c.x, s.y - c.y) <= Math.max(tolerance, 12);
    }
    case 'drawing': {
      const pts = shape.geometry.points.map(sp);
      return pts.some((p, i) => i > 0 && distToSegment(s, pts[i - 1], p) <= tolerance);
    }
    case 'highlight': {
      const a = sp({ x: shape.geometry.x, y: shape.geometry.y });
      const b = sp({ x: shape.geometry.x + shape.geometry.w, y: shape.geometry.y + shape.geometry.h });
      return s.x >= a.x - tolerance && s.x <= b.x + tolerance && s.y >= a.y - tolerance && s.y <= b.y + tolerance;
    }
    case 'arrow':
    case 'measure':
      return distToSegment(s, sp(shape.geometry.from), sp(shape.geometry.to)) <= tolerance;
    case 'angle': {
      const v = sp(shape.geometry.vertex);
      return Math.min(distToSegment(s, sp(shape.geometry.from), v), distToSegment(s, v, sp(shape.geometry.to))) <= tolerance;
    }
  }
}

/** The topmost (last drawn) mark under a screen point, if any (an annotation is its shape). */
export function hitTest<T extends Shape>(marks: T[], s: ScreenPoint, v: PageView, tolerance = 6): T | null {
  for (let i = marks.length - 1; i >= 0; i -= 1) if (hits(marks[i], s, v, tolerance)) return marks[i];
  return null;
}

/** The shape moved by a page-coordinate delta, kept whole on the page. */
export function translate(shape: Shape, dx: number, dy: number): Shape {
  const b = bounds(shape);
  const mx = Math.min(1 - (b.x + b.w), Math.max(-b.x, dx));
  const my = Math.min(1 - (b.y + b.h), Math.max(-b.y, dy));
  const m = (p: Point): Point => ({ x: p.x + mx, y: p.y + my });
  switch (shape.kind) {
    case 'marker':
    case 'text':
      return { kind: shape.kind, geometry: m(shape.geometry) };
    case 'drawing':
      return { kind: 'drawing', geometry: { points: shape.geometry.points.map(m) } };
    case 'highlight':
      return { kind: 'highlight', geometry: { ...shape.geometry, x: shape.geometry.x + mx, y: shape.geometry.y + my } };
    case 'arrow':
    case 'measure':
      return { kind: shape.kind, geometry: { from: m(shape.geometry.from), to: m(shape.geometry.to) } };
    case 'angle':
      return { kind: 'angle', geometry: { from: m(shape.geometry.from), vertex: m(shape.geometry.vertex), to: m(shape.geometry.to) } };
  }
}

/**
 * The shape with handle `index` (see `handles`) moved to `to`: an end of an arrow or a
 * measurement, an arm's end or the vertex of an angle, a corner of a highlight (the rectangle is normalised so its size stays positive).
 */
export function moveHandle(shape: Shape, index: number, to: Point): Shape {
  const p = { x: clamp01(to.x), y: clamp01(to.y) };
  switch (shape.kind) {
    case 'marker':
    case 'text':
      return { kind: shape.kind, geometry: p };
    case 'drawing':
      return translate(shape, p.x - shape.geometry.points[0].x, p.y - shape.geometry.points[0].y);
    case 'highlight': {
      const [a, b] = handles(shape);
      const [c1, c2] = index === 0 ? [p, b] : [a, p];
      return rect(c1, c2);
    }
    case 'arrow':
    case 'measure':
      return index === 0
        ? { kind: shape.kind, geometry: { from: p, to: shape.geometry.to } }
        : { kind: shape.kind, geometry: { from: shape.geometry.from, to: p } };
    case 'angle': {
      const [from, vertex, to] = handles(shape).map((h, i) => (i === index ? p : h));
      return { kind: 'angle', geometry: { from, vertex, to } };
    }
  }
}

/** The highlight between two corners, whichever way it was dragged. */
export function rect(a: Point, b: Point): Shape {
  return {
    kind: 'highlight',
    geometry: { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(a.x - b.x), h: Math.abs(a.y - b.y) },
  };
}

/**
 * A measurement's length in the image's own pixels, and in millimetres when the image says how
 * far apart its pixels are (`spacing`: mm per pixel across and down, as DICOM PixelSpacing).
 */
export function measuredLength(
  from: Point,
  to: Point,
  imagePixels: { width: number; height: number },
  spacing?: { x: number; y: number },
): { px: number; mm: number | null } {
  const dx = (to.x - from.x) * imagePixels.width;
  const dy = (to.y - from.y) * imagePixels.height;
  return { px: Math.hypot(dx, dy), mm: spacing ? Math.hypot(dx * spacing.x, dy * spacing.y) : null };
}

/** "123 px", "45.2 mm (123 px)": how a measurement is labelled. */
export function lengthLabel(l: { px: number; mm: number | null }): string {
  const px = `${Math.round(l.px)} px`;
  return l.mm === null ? px : `${l.mm.toFixed(1)} mm (${px})`;
}

/**
 * The angle at `vertex` between the arms to `from` and `to`, in degrees (0–180), in the image's
 * real proportions: its own pixels across and down, each as wide as `spacing` says (mm per pixel
 * across and down), not page fractions, which a picture that is not square would skew.
 */
export function measuredAngle(
  from: Point,
  vertex: Point,
  to: Point,
  imagePixels: { width: number; height: number },
  spacing?: { x: number; y: number },
): number {
  const sx = imagePixels.width * (spacing?.x ?? 1);
  const sy = imagePixels.height * (spacing?.y ?? 1);
  const a = { x: (from.x - vertex.x) * sx, y: (from.y - vertex.y) * sy };
  const b = { x: (to.x - vertex.x) * sx, y: (to.y - vertex.y) * sy };
  return (Math.atan2(Math.abs(a.x * b.y - a.y * b.x), a.x * b.x + a.y * b.y) * 180) / Math.PI;
}

/** "37.5°": how an angle is labelled (the export's `angle_label` says the same). */
export function degreesLabel(degrees: number): string {
  return `${degrees.toFixed(1)}°`;
}
