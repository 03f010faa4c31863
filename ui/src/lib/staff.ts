// How the staff screen words a staff member's state.
import type { StaffMember } from './bindings';

/** "Active", "Waiting for first sign-in" (no password chosen yet) or "Access ended". */
export function staffStatus(m: StaffMember): string {
  if (!m.active) return 'Access ended';
  return m.password_set ? 'Active' : 'Waiting for first sign-in';
}

/** 5 → "5 minutes", 60 → "1 hour", 480 → "8 hours". */
export function minutesPhrase(m: number): string {
  if (m < 60 || m % 60 !== 0) return `${m} minutes`;
  return m === 60 ? '1 hour' : `${m / 60} hours`;
}
