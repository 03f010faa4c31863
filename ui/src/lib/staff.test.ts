import { describe, expect, it } from 'vitest';
import { minutesPhrase, staffStatus } from './staff';
import type { StaffMember } from './bindings';

const member = (active: boolean, password_set: boolean): StaffMember => ({
  id: '1', name: 'Rosa', email: 'rosa@demo.clinic', role: 'receptionist', active, password_set, created_at: '2026-12-01T00:00:00Z',
});

describe('staff', () => {
  it('says whether someone can sign in, is yet to choose a password, or has no access', () => {
    expect(staffStatus(member(true, true))).toBe('Active');
    expect(staffStatus(member(true, false))).toBe('Waiting for first sign-in');
    expect(staffStatus(member(false, true))).toBe('Access ended');
  });
  it('words idle timeouts in minutes or hours', () => {
    expect(minutesPhrase(5)).toBe('5 minutes');
    expect(minutesPhrase(60)).toBe('1 hour');
    expect(minutesPhrase(480)).toBe('8 hours');
    expect(minutesPhrase(90)).toBe('90 minutes');
  });
});
