// The review sheet's rules, kept apart from the markup so they can be tested: which files are
// sent, what is wrong with each, and whether the hand-off can go.
import type { Category, CommandError, FileCheck, ImportLimits } from './bindings';

export type Row = {
  /** Place in the drop's file list. */
  index: number;
  include: boolean;
  title: string;
  category: Category | '';
};

/**
 * What the sheet says of how the chosen files travel: one all-or-nothing batch, or (more than
 * `batchSize`) several, each stored whole or not at all.
 */
export function batchNote(files: number, batchSize: number): string | null {
  if (files <= batchSize || batchSize <= 0) return null;
  const batches = Math.ceil(files / batchSize);
  return `These ${files} files go as ${batches} batches of up to ${batchSize}. Each batch is stored whole or not at all, so if one is refused, the others may already be stored.`;
}

export function initialRows(files: FileCheck[]): Row[] {
  return files.map((f, index) => ({ index, include: true, title: f.suggested_title, category: '' }));
}

/** Indexes of the files that will be sent, in order. */
export function chosen(rows: Row[]): number[] {
  return rows.filter((r) => r.include).map((r) => r.index);
}

/**
 * Everything wrong with each row: its content (from the drop) and, for included rows, the
 * limits the hand-off would break (`limits` answers for `chosen(rows)` in that order).
 */
export function rowProblems(rows: Row[], files: FileCheck[], limits: ImportLimits | null, limitsFor: number[]): Map<number, CommandError[]> {
  const out = new Map<number, CommandError[]>();
  for (const r of rows) out.set(r.index, [...(files[r.index]?.problems ?? [])]);
  if (limits && limitsFor.length === limits.problems.length) {
    limitsFor.forEach((index, i) => out.get(index)?.push(...limits.problems[i]));
  }
  for (const r of rows) {
    if (r.include && r.title.trim() === '') out.get(r.index)?.push({ code: 'invalid_name', message: 'Give it a name.' });
  }
  return out;
}

/** Sets the type of every row that has none or had the previous type-for-all. */
export function applyTypeForAll(rows: Row[], previous: Category | '', next: Category | ''): Row[] {
  return rows.map((r) => (r.category === '' || r.category === previous ? { ...r, category: next } : r));
}

export type Verdict =
  | { ok: true; count: number; bytes: number }
  | { ok: false; reason: string };

/** Whether the sheet can be sent, and if not, the one sentence that says why. */
export function verdict(rows: Row[], files: FileCheck[], problems: Map<number, CommandError[]>, patientChosen: boolean): Verdict {
  const included = rows.filter((r) => r.include);
  if (!patientChosen) return { ok: false, reason: 'Choose the patient first.' };
  if (included.length === 0) return { ok: false, reason: 'No file is chosen.' };
  const withProblems = included.filter((r) => (problems.get(r.index) ?? []).length > 0).length;
  if (withProblems > 0) {
    return {
      ok: false,
      reason: `${withProblems} of the chosen files ${withProblems === 1 ? 'has a problem' : 'have problems'}: fix or remove ${withProblems === 1 ? 'it' : 'them'} first. Nothing is sent until every chosen file can go.`,
    };
  }
  const untyped = included.filter((r) => r.category === '').length;
  if (untyped > 0) return { ok: false, reason: `Choose a type for ${untyped === 1 ? 'the file' : `${untyped} files`} without one.` };
  return { ok: true, count: included.length, bytes: included.reduce((n, r) => n + (files[r.index]?.size ?? 0), 0) };
}

/**
 * Leaves out the files that cannot go: first those whose content is refused (which may make
 * room for the rest within the visit and pool limits); when none is left, those over a limit.
 * A missing name is left to fix.
 */
export function withoutBadFiles(rows: Row[], files: FileCheck[], problems: Map<number, CommandError[]>): Row[] {
  const contentBad = (r: Row) => r.include && (files[r.index]?.problems.length ?? 0) > 0;
  if (rows.some(contentBad)) return rows.map((r) => (contentBad(r) ? { ...r, include: false } : r));
  const bad = (r: Row) => (problems.get(r.index) ?? []).some((p) => p.code !== 'invalid_name');
  return rows.map((r) => (bad(r) ? { ...r, include: false } : r));
}
