import { describe, expect, it } from 'vitest';
import { fit, pan, zoomAt, MAX_SCALE } from './viewer';

describe('viewer zoom and pan', () => {
  it('fits a picture centred in the viewport', () => {
    expect(fit(2000, 1000, 1000, 1000)).toEqual({ scale: 0.5, x: 0, y: 250 });
  });
  it('fits it in what the tool bar and the side panel leave free', () => {
    // 300 px panel on the right, 50 px bar on top: 700 × 950 free.
    expect(fit(1400, 1000, 1000, 1000, { top: 50, right: 300 })).toEqual({ scale: 0.5, x: 0, y: 50 + 225 });
    expect(fit(100, 100, 200, 40, { top: 50, right: 0 })).toEqual({ scale: 1, x: 0, y: 0 });
  });
  it('keeps the point under the cursor fixed while zooming', () => {
    const v = { scale: 1, x: 10, y: 20 };
    const z = zoomAt(v, 2, 110, 220);
    // picture point under the cursor before: ((110-10)/1, (220-20)/1) = (100, 200)
    expect((110 - z.x) / z.scale).toBeCloseTo(100);
    expect((220 - z.y) / z.scale).toBeCloseTo(200);
  });
  it('never zooms past the limits', () => {
    expect(zoomAt({ scale: 10, x: 0, y: 0 }, 10, 0, 0).scale).toBe(MAX_SCALE);
  });
  it('pans by screen pixels', () => {
    expect(pan({ scale: 2, x: 0, y: 0 }, 5, -3)).toEqual({ scale: 2, x: 5, y: -3 });
  });
});
