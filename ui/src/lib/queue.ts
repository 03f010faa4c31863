// The upload queue panel's logic: which items to show and the overall figures.
import type { QueueItem } from './bindings';

/** Everything not yet sent, plus what was sent since the panel opened (`since`, unix ms). */
export function shownItems(items: QueueItem[], since: number): QueueItem[] {
  return items.filter((q) => q.state !== 'done' || q.queued_at >= since);
}

export interface QueueSummary {
  /** Waiting or being sent. */
  unsent: number;
  /** Bytes of the unsent items already sent, as a whole percentage. */
  percent: number;
  /** Some item waits because the server could not be reached. */
  offline: boolean;
  /** Refused by the server, waiting for a person. */
  refused: number;
}

export function queueSummary(items: QueueItem[], sent: Record<string, number>): QueueSummary {
  const open = items.filter((q) => q.state === 'waiting' || q.state === 'sending');
  const total = open.reduce((a, q) => a + q.size, 0);
  const done = open.reduce((a, q) => a + (q.state === 'sending' ? Math.min(sent[q.id] ?? 0, q.size) : 0), 0);
  return {
    unsent: open.length,
    percent: total ? Math.round((done / total) * 100) : 0,
    offline: open.some((q) => q.state === 'waiting' && q.error_code === 'server_unreachable'),
    refused: items.filter((q) => q.state === 'refused').length,
  };
}
