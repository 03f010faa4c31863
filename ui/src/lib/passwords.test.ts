import { describe, expect, it } from 'vitest';
import { passwordProblem } from './passwords';

describe('passwordProblem', () => {
  it('asks for the minimum length, counting characters rather than bytes', () => {
    expect(passwordProblem('short', 'short', 10)).toContain('at least 10');
    expect(passwordProblem('ÄÖÜäöüßéèê', 'ÄÖÜäöüßéèê', 10)).toBe('');
  });
  it('refuses two different entries', () => {
    expect(passwordProblem('granite kettle orbit', 'granite kettle orbiT', 10)).toContain('not the same');
    expect(passwordProblem('granite kettle orbit', 'granite kettle orbit', 10)).toBe('');
  });
});
