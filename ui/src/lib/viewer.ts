// Zoom and pan of the viewer: a view is a scale and an offset (in screen pixels) of the
// picture's top-left corner inside the viewport.

export interface View {
  scale: number;
  x: number;
  y: number;
}

export const MIN_SCALE = 0.1;
export const MAX_SCALE = 16;

/** What floats over the viewport's edges (tool bar on top, side panel on the right), in pixels. */
export interface Covered {
  top: number;
  right: number;
}

/**
 * The view that fits a `w`×`h` picture centred in a `vw`×`vh` viewport, in the part of it
 * `covered` leaves free (so the tool bar and the side panel do not hide the page at first).
 */
export function fit(w: number, h: number, vw: number, vh: number, covered: Covered = { top: 0, right: 0 }): View {
  const [fw, fh] = [vw - covered.right, vh - covered.top];
  if (w <= 0 || h <= 0 || fw <= 0 || fh <= 0) return { scale: 1, x: 0, y: 0 };
  const scale = Math.min(fw / w, fh / h);
  return { scale, x: (fw - w * scale) / 2, y: covered.top + (fh - h * scale) / 2 };
}

/** Zooms by `factor` keeping the picture point under (`cx`,`cy`) where it is on screen. */
export function zoomAt(v: View, factor: number, cx: number, cy: number): View {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, v.scale * factor));
  const k = scale / v.scale;
  return { scale, x: cx - (cx - v.x) * k, y: cy - (cy - v.y) * k };
}

export function pan(v: View, dx: number, dy: number): View {
  return { ...v, x: v.x + dx, y: v.y + dy };
}
