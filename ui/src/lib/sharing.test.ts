import { describe, expect, it } from 'vitest';
import { documentsLine, isLive, recipientLine, sentLine, shareStatus } from './sharing';
import type { Share } from './bindings';

const base: Share = {
  id: 's-1',
  patient_id: 'p-1',
  recipient_kind: 'contact',
  recipient_id: 'c-1',
  recipient_name: 'Dr. Lee',
  recipient_email: 'lee@ortho.example',
  documents: [{ id: 'd-1', title: 'Knee X-ray' }],
  created_by: 'u-1',
  created_by_name: 'Dr. Dana Doctor',
  created_at: '2026-12-03T10:00:00Z',
  sent_at: '2026-12-03T10:00:00Z',
  expires_unused_at: '2026-12-04T10:00:00Z',
  opened_at: null,
  revoked_at: null,
  state: 'waiting',
};

describe('share status', () => {
  it('says until when an unopened link works, and that an opened one works until revoked', () => {
    expect(shareStatus(base, 'en-GB')).toMatch(/^Not opened yet · the link works until 4 Dec/);
    expect(shareStatus({ ...base, state: 'opened', opened_at: '2026-12-03T12:30:00Z' }, 'en-GB')).toMatch(/^Opened 3 Dec.* · works until revoked$/);
  });
  it('tells what to do with an expired or unsent one, and a revoked one cannot be acted on', () => {
    expect(shareStatus({ ...base, state: 'expired' })).toContain('send it again');
    expect(shareStatus({ ...base, state: 'not_sent', sent_at: null })).toContain('could not be sent');
    expect(isLive({ ...base, state: 'expired' })).toBe(true);
    expect(isLive({ ...base, state: 'revoked', revoked_at: '2026-12-03T11:00:00Z' })).toBe(false);
    expect(recipientLine(base)).toBe('Dr. Lee (lee@ortho.example)');
  });
});

describe('a patient\'s share list', () => {
  const docs = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `d-${i}`, title: `Doc ${i + 1}` }));
  it('names what each share carries, shortening a long one', () => {
    expect(documentsLine(base)).toBe('Knee X-ray');
    expect(documentsLine({ ...base, documents: docs(2) })).toBe('Doc 1 and Doc 2');
    expect(documentsLine({ ...base, documents: docs(3) })).toBe('Doc 1, Doc 2 and Doc 3');
    expect(documentsLine({ ...base, documents: docs(20) })).toBe('Doc 1, Doc 2 and 18 more');
  });
  it('says who sent it and when, or when it was made if the email never went', () => {
    expect(sentLine(base, 'en-GB')).toMatch(/^Shared by Dr\. Dana Doctor, 3 Dec/);
    expect(sentLine({ ...base, sent_at: null, created_at: '2026-12-02T09:00:00Z' }, 'en-GB')).toMatch(/, 2 Dec/);
  });
});
