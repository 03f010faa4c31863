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
    const q = auditQuery({ userId: '', action: 'document_downloaded', from: '', to: '', patientOnly: false }, 'p-1', null);
    expect(q).toMatchObject({ action: 'document_downloaded', user_id: null, patient_id: null, from: null, to: null });
    expect(auditQuery({ userId: 'u', action: '', from: '', to: '', patientOnly: true }, 'p-1', 42)).toMatchObject({
      user_id: 'u', patient_id: 'p-1', before: 42, action: null,
    });
  });
});
