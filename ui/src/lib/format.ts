// How sizes and dates read on screen.

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'];

/**
 * "3.1 GB", "812 KB", "1.5 KB", "5 bytes": binary units, one decimal below 100 unless whole,
 * halves rounded up — the shared crate's `format_bytes` rule, which the server's messages use;
 * format.test.ts checks this against its table (`BYTE_SAMPLES`, generated from Rust).
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  let i = 0;
  let v = n;
  if (n < 1024) return `${n} ${n === 1 ? 'byte' : 'bytes'}`;
  v /= 1024;
  i = 1;
  // A unit up once the figure, as written, would reach 1024 ("1 MB", not "1024 KB").
  while (Math.round(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i += 1;
  }
  const tenths = Math.round(v * 10) / 10;
  if (tenths >= 100 || Number.isInteger(tenths)) return `${Math.round(v)} ${UNITS[i]}`;
  return `${tenths.toFixed(1)} ${UNITS[i]}`;
}

/** `2026-04-03T10:20:00Z` → "3 Apr 2026" in the workstation's locale. */
export function formatDate(iso: string, locale?: string): string {
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(locale, { day: 'numeric', month: 'short', year: 'numeric' });
}

/** "1 visit", "3 visits", "0 documents". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A day of this computer's calendar as `YYYY-MM-DD` (not the UTC day `toISOString` gives). */
export function localDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** Up to two initials of a name, for a face without a photo ("Maria Garcia" → "MG"). */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const picked = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return picked.map((w) => Array.from(w)[0]?.toLocaleUpperCase() ?? '').join('');
}
