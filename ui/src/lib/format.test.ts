import { describe, expect, it } from 'vitest';
import { BYTE_SAMPLES } from './bindings';
import { formatBytes, initials, localDay } from './format';
import { gauge } from './gauge';

describe('sizes as staff read them', () => {
  it('uses binary units with one decimal below 100', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(10 * 1024 * 1024)).toBe('10 MB');
    expect(formatBytes(3.1 * 1024 ** 3)).toBe('3.1 GB');
    expect(formatBytes(-1)).toBe('—');
  });
  it('writes every size of the shared table as the shared crate does', () => {
    expect(BYTE_SAMPLES.length).toBeGreaterThan(20);
    for (const [n, text] of BYTE_SAMPLES) expect(formatBytes(n), `${n} bytes`).toBe(text);
  });
});

describe('storage gauge', () => {
  const GB = 1024 ** 3;
  it('says "3.1 GB of 5 GB" and stays calm below 80 %', () => {
    const g = gauge(3.1 * GB, 5 * GB);
    expect(g.label).toBe('3.1 GB of 5 GB');
    expect(g.level).toBe('ok');
    expect(g.fraction).toBeCloseTo(0.62);
  });
  it('warns from 80 %, is critical from 95 % and full at the quota', () => {
    expect(gauge(4 * GB, 5 * GB).level).toBe('warning');
    expect(gauge(4.8 * GB, 5 * GB).level).toBe('critical');
    expect(gauge(5 * GB, 5 * GB).level).toBe('full');
    expect(gauge(6 * GB, 5 * GB).fraction).toBe(1);
    expect(gauge(0, 0).level).toBe('full');
  });
});

describe('counts as staff read them', () => {
  it('says "1 visit" and "2 visits"', async () => {
    const { count } = await import('./format');
    expect(count(1, 'visit')).toBe('1 visit');
    expect(count(0, 'document')).toBe('0 documents');
    expect(count(3, 'visit')).toBe('3 visits');
  });
});

describe('localDay', () => {
  it('is the day on this computer, zero-padded', () => {
    expect(localDay(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05');
    expect(localDay(new Date(2026, 11, 31, 0, 1))).toBe('2026-12-31');
  });
});

describe('initials', () => {
  it('takes the first and last name, in capitals, whatever the script', () => {
    expect(initials('Maria Garcia')).toBe('MG');
    expect(initials('  josé  maría de la  cruz ')).toBe('JC');
    expect(initials('Ødegård')).toBe('Ø');
    expect(initials('Łukasz Żółć')).toBe('ŁŻ');
    expect(initials('')).toBe('');
  });
});
