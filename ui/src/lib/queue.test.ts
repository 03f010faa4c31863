import { describe, expect, it } from 'vitest';
import { queueSummary, shownItems } from './queue';
import type { QueueItem } from './bindings';

const item = (id: string, state: QueueItem['state'], extra: Partial<QueueItem> = {}): QueueItem => ({
  id,
  idempotency_key: `k-${id}`,
  patient_id: 'p',
  encounter_id: null,
  category: 'insurance',
  title: id,
  notes: null,
  file_name: `${id}.jpg`,
  size: 1000,
  sha256: '',
  state,
  attempts: 0,
  next_attempt_at: 0,
  error_code: null,
  error_message: null,
  document_id: null,
  queued_at: 100,
  batch_id: null,
  ...extra,
});

describe('upload queue panel', () => {
  it('keeps every unsent or refused file in view and only this session’s sent ones', () => {
    const items = [item('a', 'done', { queued_at: 50 }), item('b', 'done', { queued_at: 150 }), item('c', 'refused'), item('d', 'waiting')];
    expect(shownItems(items, 120).map((q) => q.id)).toEqual(['b', 'c', 'd']);
  });

  it('counts what is left, the bytes sent so far, and says when the network is the reason', () => {
    const items = [
      item('a', 'sending', { size: 3000 }),
      item('b', 'waiting', { size: 1000, error_code: 'server_unreachable', error_message: 'cannot be reached' }),
      item('c', 'refused'),
      item('d', 'done'),
    ];
    expect(queueSummary(items, { a: 1500 })).toEqual({ unsent: 2, percent: 38, offline: true, refused: 1 });
    expect(queueSummary([item('x', 'waiting')], {}).offline).toBe(false);
  });
});
