// Pointer gestures on the annotation layer, as pure steps: a press picks a mark (or one of its
// handles) to move, or starts a new shape; a drag moves the mark or grows the shape; a release
// says what was made. Screen points go through the viewer's View (geometry.ts).

import type { Annotation, Point, Shape } from '../bindings';
import { handles, hitTest, moveHandle, rect, toScreen, translate, type PageView, type ScreenPoint } from './geometry';
import { shapeOf } from './marks';
import type { Tool } from './tools';

/** How close (px) to a handle a press takes the handle. */
export const HANDLE_REACH = 7;
/** How far (px) the pointer must travel before a press counts as a drag. */
export const DRAG_SLOP = 2;

export type Gesture = { start: Point; screen: ScreenPoint; target?: Annotation; handle?: number; moved: boolean };

/** The handle of `a` under `s`, or -1. */
export function handleAt(a: Annotation, s: ScreenPoint, pv: PageView): number {
  return handles(shapeOf(a)).findIndex((h) => {
    const q = toScreen(h, pv);
    return Math.abs(q.x - s.x) <= HANDLE_REACH && Math.abs(q.y - s.y) <= HANDLE_REACH;
  });
}

/** A press at `s` (page point `p`): what is selected, the gesture, and the shape begun. */
export function press(tool: Tool, s: ScreenPoint, p: Point, pv: PageView, shown: Annotation[], current: Annotation | null) {
  if (tool === 'select') {
    const h = current ? handleAt(current, s, pv) : -1;
    const target = h >= 0 ? current! : hitTest(shown, s, pv);
    const gesture: Gesture | null = target ? { start: p, screen: s, target, handle: h >= 0 ? h : undefined, moved: false } : null;
    return { selected: target?.id ?? null, gesture, draft: null };
  }
  const draft: Shape | null = tool === 'drawing' ? { kind: 'drawing', geometry: { points: [p] } } : null;
  return { selected: undefined, gesture: { start: p, screen: s, moved: false } as Gesture, draft };
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
  return { draft };
}

/** The shape a released gesture made (and a note's first words), or `null`. */
export function made(tool: Tool, g: Gesture, draft: Shape | null): { shape: Shape; text: string | null } | null {
  if (tool === 'marker' || tool === 'text') return { shape: { kind: tool, geometry: g.start }, text: tool === 'text' ? 'Note' : null };
  if (!draft || !g.moved) return null;
  if (draft.kind === 'drawing' && draft.geometry.points.length < 2) return null;
  if (draft.kind === 'highlight' && (draft.geometry.w <= 0 || draft.geometry.h <= 0)) return null;
  return { shape: draft, text: null };
}
