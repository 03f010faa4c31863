// The Scanned inbox's page order and turns, kept apart from the markup so they can be tested:
// new scans join at the end in name order, scans gone from the folder leave, a receptionist's
// reordering and turning stay as long as the file does.
import type { FileCheck } from './bindings';

/** The paths in display order: the kept order first (still present), then new ones as listed. */
export function mergeOrder(order: string[], files: FileCheck[]): string[] {
  const present = new Set(files.map((f) => f.path));
  const kept = order.filter((p) => present.has(p));
  const known = new Set(kept);
  return [...kept, ...files.map((f) => f.path).filter((p) => !known.has(p))];
}

/** `order` with the path at `from` moved by `by` places (clamped to the ends). */
export function move(order: string[], path: string, by: number): string[] {
  const from = order.indexOf(path);
  if (from < 0) return order;
  const to = Math.max(0, Math.min(order.length - 1, from + by));
  const next = order.filter((p) => p !== path);
  next.splice(to, 0, path);
  return next;
}

/** Whether the file is a picture that can be turned and made a page of a PDF. */
export function isPicture(f: FileCheck): boolean {
  return ['image/jpeg', 'image/png', 'image/tiff', 'image/webp', 'image/bmp'].includes(f.content_type ?? '');
}
