// The audit screen's filters as the server's query: days picked on this computer's calendar
// become the moments they start and end here, so "today" means the clinic's today.
import type { AuditAction, AuditQuery } from './bindings';

export interface AuditFilter {
  userId: string;
  action: AuditAction | '';
  /** `YYYY-MM-DD` from the date inputs, or ''. */
  from: string;
  to: string;
  patientOnly: boolean;
  /** Only the events of the document the screen was opened for (its history). */
  documentOnly: boolean;
}

/** The start of a local day `YYYY-MM-DD` as an RFC 3339 moment; `after` gives the next day's. */
export function dayStart(day: string, after = false): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d + (after ? 1 : 0)).toISOString();
}

export function auditQuery(
  f: AuditFilter,
  patientId: string | null,
  before: number | null,
  documentId: string | null = null,
): AuditQuery {
  return {
    limit: null,
    before,
    action: f.action || null,
    user_id: f.userId || null,
    patient_id: f.patientOnly && patientId ? patientId : null,
    document_id: f.documentOnly && documentId ? documentId : null,
    from: f.from ? dayStart(f.from) : null,
    to: f.to ? dayStart(f.to, true) : null,
    format: null,
  };
}

/** "2 Dec 2026, 09:41" in this computer's language and time zone. */
export function formatMoment(iso: string, locale?: string): string {
  return new Date(iso).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}
