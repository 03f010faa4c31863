// Zoom and pan of the viewer: a view is a scale and an offset (in screen pixels) of the
// picture's top-left corner inside the viewport.

export interface View {
  scale: number;
  x: number;
  y: number;
}

export const MIN_SCALE = 0.1;
export const MAX_SCALE = 16;

/** The view that fits a `w`×`h` picture centred in a `vw`×`vh` viewport. */
export function fit(w: number, h: number, vw: number, vh: number): View {
  if (w <= 0 || h <= 0 || vw <= 0 || vh <= 0) return { scale: 1, x: 0, y: 0 };
  const scale = Math.min(vw / w, vh / h);
  return { scale, x: (vw - w * scale) / 2, y: (vh - h * scale) / 2 };
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
