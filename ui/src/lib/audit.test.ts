import { describe, expect, it } from 'vitest';
import { auditQuery, dayStart } from './audit';

describe('audit filters', () => {
  it('a picked day runs from its local midnight to the next', () => {
    const start = new Date(dayStart('2026-12-01'));
    const end = new Date(dayStart('2026-12-01', true));
    expect([start.getFullYear(), start.getMonth(), start.getDate(), start.getHours()]).toEqual([2026, 11, 1, 0]);
    expect(end.getTime() - start.getTime()).toBeGreaterThanOrEqual(23 * 3600e3);
    expect(end.getDate()).toBe(2);
  });
  it('sends only the filters chosen, and the patient only when asked', () => {
    const q = auditQuery({ userId: '', action: 'document_downloaded', from: '', to: '', patientOnly: false, documentOnly: false }, 'p-1', null, 'd-1');
    expect(q).toMatchObject({ action: 'document_downloaded', user_id: null, patient_id: null, from: null, to: null });
    expect(auditQuery({ userId: 'u', action: '', from: '', to: '', patientOnly: true, documentOnly: false }, 'p-1', 42)).toMatchObject({
      user_id: 'u', patient_id: 'p-1', before: 42, action: null, document_id: null,
    });
  });
  it("a document's history asks for that document's events until the box is cleared", () => {
    const f = { userId: '', action: '' as const, from: '', to: '', patientOnly: false, documentOnly: true };
    expect(auditQuery(f, null, null, 'd-7').document_id).toBe('d-7');
    expect(auditQuery({ ...f, documentOnly: false }, null, null, 'd-7').document_id).toBeNull();
    expect(auditQuery(f, null, null, null).document_id).toBeNull();
  });
});
