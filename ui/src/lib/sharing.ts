// What the share lists say about a share, in words: where it stands for its recipient, what it
// carries, who sent it, and whether it can still be sent again or revoked.
import type { Share } from './bindings';

function when(iso: string, locale?: string): string {
  return new Date(iso).toLocaleString(locale, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

/** "Opened 3 Dec, 10:20", "Not opened yet · the link works until 4 Dec, 10:00", … */
export function shareStatus(s: Share, locale?: string): string {
  switch (s.state) {
    case 'waiting':
      return `Not opened yet · the link works until ${when(s.expires_unused_at, locale)}`;
    case 'opened':
      return s.opened_at ? `Opened ${when(s.opened_at, locale)} · works until revoked` : 'Opened · works until revoked';
    case 'expired':
      return 'Expired unopened · send it again for a new link';
    case 'revoked':
      return s.revoked_at ? `Revoked ${when(s.revoked_at, locale)}` : 'Revoked';
    case 'not_sent':
      return 'The email could not be sent · send it again';
  }
}

/** A share can be sent again (a new link) and revoked until it is revoked. */
export function isLive(s: Share): boolean {
  return s.state !== 'revoked';
}

/** Who it went to: "Dr. Lee (lee@ortho.example)". */
export function recipientLine(s: Share): string {
  return `${s.recipient_name} (${s.recipient_email})`;
}

/** What a share carries: "Chest X-ray", "Chest X-ray and CBC", "Chest X-ray, CBC and 2 more". */
export function documentsLine(s: Share): string {
  const titles = s.documents.map((d) => d.title);
  if (titles.length <= 2) return titles.join(' and ');
  if (titles.length === 3) return `${titles[0]}, ${titles[1]} and ${titles[2]}`;
  return `${titles[0]}, ${titles[1]} and ${titles.length - 2} more`;
}

/** Who sent it and when: "Shared by Dr. Dana Doctor, 3 Dec, 10:20" (when it was emailed, or made if it never went). */
export function sentLine(s: Share, locale?: string): string {
  return `Shared by ${s.created_by_name}, ${when(s.sent_at ?? s.created_at, locale)}`;
}
