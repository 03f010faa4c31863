import { describe, expect, it } from 'vitest';
import { bounds, degreesLabel, hitTest, lengthLabel, measuredAngle, measuredLength, moveHandle, rect, toPage, toScreen, translate, type PageView } from './geometry';
import { zoomAt } from '../viewer';
import type { Point, Shape } from '../bindings';

const view: PageView = { w: 800, h: 1000, scale: 1, x: 40, y: 20 };
const close = (a: { x: number; y: number }, b: { x: number; y: number }) => {
  expect(a.x).toBeCloseTo(b.x, 9);
  expect(a.y).toBeCloseTo(b.y, 9);
};

describe('page and screen coordinates', () => {
  it('a page point and its screen position convert both ways at any zoom and pan', () => {
    const p: Point = { x: 0.25, y: 0.6 };
    for (const v of [view, { ...view, scale: 3.7, x: -900, y: -1234 }, { ...view, w: 333, h: 411, scale: 0.4 }]) {
      close(toPage(toScreen(p, v), v), p);
    }
    expect(toScreen(p, view)).toEqual({ x: 240, y: 620 });
  });

  it('zooming about the pointer keeps the page point under it where it was', () => {
    const anchor = { x: 300, y: 450 };
    const under = toPage(anchor, view, false);
    let v = view;
    for (const f of [1.25, 1.25, 2, 0.5, 0.8]) {
      v = { ...v, ...zoomAt(v, f, anchor.x, anchor.y) };
      close(toScreen(under, v), anchor);
    }
  });

  it('the same mark lands on the same spot of a page rendered at another resolution', () => {
    const p: Point = { x: 0.31, y: 0.77 };
    // The same page drawn 1200 or 2400 px wide, each fitted to the same 600-px-wide screen box.
    const small: PageView = { w: 1200, h: 1697, scale: 0.5, x: 10, y: 5 };
    const large: PageView = { w: 2400, h: 3394, scale: 0.25, x: 10, y: 5 };
    close(toScreen(p, small), toScreen(p, large));
  });

  it('a point dragged off the page lands on its edge', () => {
    expect(toPage({ x: -50, y: 5000 }, view)).toEqual({ x: 0, y: 1 });
    expect(toPage({ x: -50, y: 20 }, view, false).x).toBeLessThan(0);
  });
});

describe('hit-testing', () => {
  const marks: (Shape & { id: string })[] = [
    { id: 'hl', kind: 'highlight', geometry: { x: 0.1, y: 0.1, w: 0.5, h: 0.2 } },
    { id: 'arrow', kind: 'arrow', geometry: { from: { x: 0.1, y: 0.5 }, to: { x: 0.9, y: 0.5 } } },
    { id: 'pin', kind: 'marker', geometry: { x: 0.3, y: 0.2 } },
    { id: 'pen', kind: 'drawing', geometry: { points: [{ x: 0.7, y: 0.7 }, { x: 0.8, y: 0.8 }, { x: 0.9, y: 0.7 }] } },
  ];
  const at = (p: Point, v: PageView = view) => hitTest(marks, toScreen(p, v), v)?.id ?? null;

  it('finds the topmost mark under the pointer, with a tolerance in screen pixels', () => {
    expect(at({ x: 0.3, y: 0.2 })).toBe('pin'); // the pin lies on the highlight and is on top
    expect(at({ x: 0.5, y: 0.25 })).toBe('hl');
    expect(at({ x: 0.5, y: 0.503 })).toBe('arrow'); // 3 px off the line
    expect(at({ x: 0.5, y: 0.52 })).toBe(null); // 20 px off
    expect(at({ x: 0.75, y: 0.75 })).toBe('pen');
    expect(at({ x: 0.8, y: 0.7 })).toBe(null); // inside the pen's V, away from its strokes
  });

  it('the tolerance stays the same on screen when zoomed in', () => {
    const zoomed = { ...view, scale: 8 };
    expect(at({ x: 0.5, y: 0.5004 }, zoomed)).toBe('arrow'); // 3.2 px at ×8
    expect(at({ x: 0.5, y: 0.503 }, zoomed)).toBe(null); // 24 px at ×8
  });
});

describe('moving and resizing', () => {
  it('a mark moves by the drag but never off the page', () => {
    const hl: Shape = { kind: 'highlight', geometry: { x: 0.7, y: 0.1, w: 0.2, h: 0.1 } };
    expect(translate(hl, 0.05, 0.05)).toEqual({ kind: 'highlight', geometry: { x: 0.75, y: 0.15000000000000002, w: 0.2, h: 0.1 } });
    const b = bounds(translate(hl, 0.5, -0.5));
    expect(b.x + b.w).toBeCloseTo(1);
    expect(b.y).toBe(0);
    const pen: Shape = { kind: 'drawing', geometry: { points: [{ x: 0.1, y: 0.1 }, { x: 0.2, y: 0.3 }] } };
    const moved = translate(pen, -0.5, 0);
    expect(moved.kind === 'drawing' && moved.geometry.points.map((p) => p.x)).toEqual([0, 0.1]);
  });

  it('a highlight dragged past its other corner stays a positive rectangle', () => {
    const hl = rect({ x: 0.2, y: 0.2 }, { x: 0.4, y: 0.5 });
    expect(moveHandle(hl, 1, { x: 0.1, y: 0.1 })).toEqual({ kind: 'highlight', geometry: { x: 0.1, y: 0.1, w: 0.1, h: 0.1 } });
    expect(rect({ x: 0.5, y: 0.5 }, { x: 0.2, y: 0.1 }).geometry).toEqual({ x: 0.2, y: 0.1, w: 0.3, h: 0.4 });
  });

  it('an arrow end follows its handle, clamped onto the page', () => {
    const a: Shape = { kind: 'arrow', geometry: { from: { x: 0.1, y: 0.1 }, to: { x: 0.5, y: 0.5 } } };
    expect(moveHandle(a, 1, { x: 1.4, y: 0.6 })).toEqual({ kind: 'arrow', geometry: { from: { x: 0.1, y: 0.1 }, to: { x: 1, y: 0.6 } } });
  });
});

describe('measurements', () => {
  it('are in image pixels, and in millimetres when the pixel spacing is known', () => {
    const l = measuredLength({ x: 0, y: 0 }, { x: 0.3, y: 0.4 }, { width: 1000, height: 1000 });
    expect(l).toEqual({ px: 500, mm: null });
    expect(lengthLabel(l)).toBe('500 px');
    const mm = measuredLength({ x: 0, y: 0 }, { x: 0.3, y: 0.4 }, { width: 1000, height: 1000 }, { x: 0.1, y: 0.1 });
    expect(mm.mm).toBeCloseTo(50);
    expect(lengthLabel(mm)).toBe('50.0 mm (500 px)');
    // Not square pixels: each axis is scaled by its own spacing.
    expect(measuredLength({ x: 0, y: 0 }, { x: 0, y: 1 }, { width: 10, height: 10 }, { x: 1, y: 2 }).mm).toBe(20);
  });
});

describe('angles', () => {
  const from = { x: 0, y: 0 };
  const vertex = { x: 0.5, y: 0.5 };
  const to = { x: 1, y: 0 };
  it('are read in the picture\'s real proportions, not page fractions', () => {
    // A 2:1 picture: the arms are (-1000, -500) and (1000, -500) pixels, 2 × atan(2).
    expect(degreesLabel(measuredAngle(from, vertex, to, { width: 2000, height: 1000 }))).toBe('126.9°');
    // Pixels twice as tall as wide: the same arms are (-100, -100) and (100, -100) mm.
    expect(measuredAngle(from, vertex, to, { width: 2000, height: 1000 }, { x: 0.1, y: 0.2 })).toBeCloseTo(90, 9);
    expect(measuredAngle({ x: 0.1, y: 0.5 }, vertex, { x: 0.9, y: 0.5 }, { width: 10, height: 10 })).toBeCloseTo(180, 9);
  });
  it('move by any of their three handles and as a whole, kept on the page', () => {
    const a: Shape = { kind: 'angle', geometry: { from, vertex, to } };
    expect(moveHandle(a, 1, { x: 0.5, y: 1.4 })).toEqual({ kind: 'angle', geometry: { from, vertex: { x: 0.5, y: 1 }, to } });
    expect(moveHandle(a, 2, { x: 0.9, y: 0.1 })).toEqual({ kind: 'angle', geometry: { from, vertex, to: { x: 0.9, y: 0.1 } } });
    const moved = translate(a, -0.2, 0.3);
    expect(moved).toEqual({ kind: 'angle', geometry: { from: { x: 0, y: 0.3 }, vertex: { x: 0.5, y: 0.8 }, to: { x: 1, y: 0.3 } } });
    expect(bounds(moved)).toEqual({ x: 0, y: 0.3, w: 1, h: 0.5 });
  });
  it('are hit along either arm, not between them', () => {
    const a: Shape = { kind: 'angle', geometry: { from, vertex, to } };
    expect(hitTest([a], toScreen({ x: 0.75, y: 0.25 }, view), view)).toBe(a);
    expect(hitTest([a], toScreen({ x: 0.25, y: 0.25 }, view), view)).toBe(a);
    expect(hitTest([a], toScreen({ x: 0.5, y: 0.2 }, view), view)).toBeNull();
  });
});
