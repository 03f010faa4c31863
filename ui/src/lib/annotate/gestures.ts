// Pointer gestures on the annotation layer, as pure steps: a press picks a mark (or one of its
// handles) to move, or starts a new shape; a drag moves the mark or grows the shape; a release
// says what was made. An angle takes two: a drag draws its first arm to the vertex, then the
// second arm follows the pointer until a click places its end. Screen points go through the
// viewer's View (geometry.ts).

import type { Annotation, Point, Shape } from '../bindings';
import { handles, hitTest, moveHandle, rect, toScreen, translate, type PageView, type ScreenPoint } from './geometry';
import { shapeOf } from './marks';
import type { Tool } from './tools';

/** How close (px) to a handle a press takes the handle. */
export const HANDLE_REACH = 7;
/** How far (px) the pointer must travel before a press counts as a drag. */
export const DRAG_SLOP = 2;

/** `placing`: the press that ends an angle's second arm. */
export type Gesture = { start: Point; screen: ScreenPoint; target?: Annotation; handle?: number; moved: boolean; placing?: boolean };

/** What a released gesture gives: a shape to save, an angle waiting for its second arm, or nothing. */
export type Made = { shape: Shape; text: string | null } | { pending: Shape } | null;

/** The handle of `a` under `s`, or -1. */
export function handleAt(a: Annotation, s: ScreenPoint, pv: PageView): number {
  return handles(shapeOf(a)).findIndex((h) => {
    const q = toScreen(h, pv);
    return Math.abs(q.x - s.x) <= HANDLE_REACH && Math.abs(q.y - s.y) <= HANDLE_REACH;
  });
}

/** A press at `s` (page point `p`): what is selected, the gesture, and the shape begun (or, for
 * an angle waiting for its second arm, the shape with that arm's end at `p`). */
export function press(tool: Tool, s: ScreenPoint, p: Point, pv: PageView, shown: Annotation[], current: Annotation | null, draft: Shape | null = null) {
  if (tool === 'select') {
    const h = current ? handleAt(current, s, pv) : -1;
    const target = h >= 0 ? current! : hitTest(shown, s, pv);
    const gesture: Gesture | null = target ? { start: p, screen: s, target, handle: h >= 0 ? h : undefined, moved: false } : null;
    return { selected: target?.id ?? null, gesture, draft: null };
  }
  if (tool === 'angle' && draft?.kind === 'angle') {
    return { selected: undefined, gesture: { start: p, screen: s, moved: false, placing: true } as Gesture, draft: hover(tool, p, draft) };
  }
  const begun: Shape | null = tool === 'drawing' ? { kind: 'drawing', geometry: { points: [p] } } : null;
  return { selected: undefined, gesture: { start: p, screen: s, moved: false } as Gesture, draft: begun };
}

/** The pointer at page point `p` with no button down: an angle's second arm follows it. */
export function hover(tool: Tool, p: Point, draft: Shape | null): Shape | null {
  if (tool === 'angle' && draft?.kind === 'angle') return { kind: 'angle', geometry: { ...draft.geometry, to: p } };
  return draft;
}

/** A drag to `s` (page point `p`): the moved mark's new shape, or the shape being drawn. */
export function drag(tool: Tool, g: Gesture, s: ScreenPoint, p: Point, draft: Shape | null): { moved?: Shape; draft: Shape | null } {
  g.moved = g.moved || Math.hypot(s.x - g.screen.x, s.y - g.screen.y) > DRAG_SLOP;
  if (tool === 'select' && g.target) {
    const t = shapeOf(g.target);
    return { moved: g.handle !== undefined ? moveHandle(t, g.handle, p) : translate(t, p.x - g.start.x, p.y - g.start.y), draft };
  }
  if (tool === 'drawing' && draft?.kind === 'drawing') return { draft: { kind: 'drawing', geometry: { points: [...draft.geometry.points, p] } } };
  if (tool === 'highlight') return { draft: rect(g.start, p) };
  if (tool === 'arrow' || tool === 'measure') return { draft: { kind: tool, geometry: { from: g.start, to: p } } };
  if (tool === 'angle') return { draft: g.placing ? hover(tool, p, draft) : { kind: 'angle', geometry: { from: g.start, vertex: p, to: p } } };
  return { draft };
}

/** The shape a released gesture made (and a note's first words), an angle waiting for its
 * second arm, or `null`. */
export function made(tool: Tool, g: Gesture, draft: Shape | null): Made {
  if (tool === 'marker' || tool === 'text') return { shape: { kind: tool, geometry: g.start }, text: tool === 'text' ? 'Note' : null };
  if (draft?.kind === 'angle') {
    const { from, vertex, to } = draft.geometry;
    const same = (a: Point, b: Point) => a.x === b.x && a.y === b.y;
    if (!g.placing) return g.moved && !same(from, vertex) ? { pending: draft } : null;
    // A click on the vertex itself would make an arm of no length: keep waiting for the end.
    return same(to, vertex) ? { pending: draft } : { shape: draft, text: null };
  }
  if (!draft || !g.moved) return null;
  if (draft.kind === 'drawing' && draft.geometry.points.length < 2) return null;
  if (draft.kind === 'highlight' && (draft.geometry.w <= 0 || draft.geometry.h <= 0)) return null;
  return { shape: draft, text: null };
}
