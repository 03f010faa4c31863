// How sizes and dates read on screen.

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'];

/** "3.1 GB", "812 KB", "5 bytes" (binary units, like the server's messages). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i += 1;
  }
  if (i === 0) return `${v} ${v === 1 ? 'byte' : 'bytes'}`;
  const digits = v >= 100 || Number.isInteger(v) ? 0 : 1;
  return `${v.toFixed(digits)} ${UNITS[i]}`;
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
