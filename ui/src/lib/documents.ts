// The Documents tab's list logic: type counts and the type filter, applied on the rows the
// server returned (so every type's count stays visible while one is selected).
import type { Category, DocumentItem, Visit } from './bindings';

export type TypeFilter = 'all' | Category;

export function countByCategory(items: DocumentItem[]): Map<Category, number> {
  const counts = new Map<Category, number>();
  for (const d of items) counts.set(d.category, (counts.get(d.category) ?? 0) + 1);
  return counts;
}

export function applyTypeFilter(items: DocumentItem[], filter: TypeFilter): DocumentItem[] {
  return filter === 'all' ? items : items.filter((d) => d.category === filter);
}

/** "3 Apr 2026 · Check-up" for a document's visit, or "" when it has none. */
export function visitLabel(encounterId: string | null, visits: Visit[], fmt: (d: string) => string): string {
  if (!encounterId) return '';
  const e = visits.find((x) => x.id === encounterId);
  return e ? `${fmt(e.date)} · ${e.reason}` : 'another visit';
}

/** The visit of `today` (`YYYY-MM-DD`, this computer's day), to link new files to by default:
 * the front desk opened it for the patient who is here. '' when there is none. */
export function todaysVisit(visits: Visit[] | undefined, today: string): string {
  return visits?.find((v) => v.date === today)?.id ?? '';
}

/** The index after moving `step` through a list of `length`, staying inside it. */
export function step(index: number, stepBy: number, length: number): number {
  if (length === 0) return -1;
  return Math.min(length - 1, Math.max(0, index + stepBy));
}

export function kindOf(contentType: string): 'pdf' | 'image' | 'dicom' | 'other' {
  if (contentType === 'application/pdf') return 'pdf';
  if (contentType === 'application/dicom') return 'dicom';
  if (contentType.startsWith('image/')) return 'image';
  return 'other';
}

/** Whether a document is a TIFF of several pages (a fax, a scanned stack), turned like a PDF. */
export function isMultipageTiff(d: { content_type: string; page_count: number | null } | undefined): d is { content_type: string; page_count: number } {
  return !!d && d.content_type === 'image/tiff' && (d.page_count ?? 1) > 1;
}
