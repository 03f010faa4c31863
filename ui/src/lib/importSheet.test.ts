import { describe, expect, it } from 'vitest';
import { applyTypeForAll, batchNote, chosen, initialRows, rowProblems, verdict, withoutBadFiles } from './importSheet';
import type { FileCheck, ImportLimits } from './bindings';

const file = (name: string, problems: FileCheck['problems'] = [], size = 1000): FileCheck => ({
  path: `/drop/${name}`,
  file_name: name,
  suggested_title: name.replace(/\.[^.]+$/, ''),
  size,
  content_type: problems.length ? null : 'application/pdf',
  preview_id: null,
  problems,
});

const exe = { code: 'executable_refused' as const, message: 'This is a program, not a document.' };
const files = [file('a.pdf'), file('virus.pdf', [exe]), file('c.pdf', [], 2000)];

describe('the import review sheet', () => {
  it('says when a drop is too big for one all-or-nothing batch', () => {
    expect(batchNote(50, 50)).toBeNull();
    expect(batchNote(120, 50)).toBe(
      'These 120 files go as 3 batches of up to 50. Each batch is stored whole or not at all, so if one is refused, the others may already be stored.',
    );
  });
  it('starts with every file chosen and named from its file name', () => {
    const rows = initialRows(files);
    expect(chosen(rows)).toEqual([0, 1, 2]);
    expect(rows.map((r) => r.title)).toEqual(['a', 'virus', 'c']);
  });

  it('merges content problems with the limits answered for the chosen files', () => {
    const rows = initialRows(files);
    const limits: ImportLimits = {
      online: true,
      problems: [[], [], [{ code: 'visit_limit_reached', message: 'The visit is full.' }]],
    };
    const p = rowProblems(rows, files, limits, [0, 1, 2]);
    expect(p.get(0)).toEqual([]);
    expect(p.get(1)?.map((e) => e.code)).toEqual(['executable_refused']);
    expect(p.get(2)?.map((e) => e.code)).toEqual(['visit_limit_reached']);
    // Limits answered for another choice are not applied to this one.
    expect(rowProblems(rows, files, limits, [0, 2]).get(2)).toEqual([]);
  });

  it('will not send while a chosen file has a problem, and says how many', () => {
    let rows = applyTypeForAll(initialRows(files), '', 'lab');
    const p = rowProblems(rows, files, null, []);
    const v = verdict(rows, files, p, true);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toMatch(/^1 of the chosen files has a problem/);
    rows = withoutBadFiles(rows, files, p);
    expect(chosen(rows)).toEqual([0, 2]);
    expect(verdict(rows, files, rowProblems(rows, files, null, []), true)).toEqual({ ok: true, count: 2, bytes: 3000 });
  });

  it('leaves out refused content first, and only then files over a limit', () => {
    const rows = initialRows(files);
    const full: ImportLimits = { online: true, problems: [[], [], [{ code: 'visit_limit_reached', message: 'full' }]] };
    const first = withoutBadFiles(rows, files, rowProblems(rows, files, full, [0, 1, 2]));
    expect(chosen(first)).toEqual([0, 2]);
    const stillFull: ImportLimits = { online: true, problems: [[], [{ code: 'visit_limit_reached', message: 'full' }]] };
    expect(chosen(withoutBadFiles(first, files, rowProblems(first, files, stillFull, [0, 2])))).toEqual([0]);
  });

  it('asks for the patient, a type for every file and a name', () => {
    let rows = withoutBadFiles(initialRows(files), files, rowProblems(initialRows(files), files, null, []));
    expect(verdict(rows, files, rowProblems(rows, files, null, []), false)).toEqual({ ok: false, reason: 'Choose the patient first.' });
    const untyped = verdict(rows, files, rowProblems(rows, files, null, []), true);
    expect(!untyped.ok && untyped.reason).toBe('Choose a type for 2 files without one.');
    rows = applyTypeForAll(rows, '', 'lab');
    rows[0].title = '  ';
    const p = rowProblems(rows, files, null, []);
    expect(p.get(0)?.map((e) => e.code)).toEqual(['invalid_name']);
    expect(verdict(rows, files, p, true).ok).toBe(false);
    // A missing name is fixed, not a reason to leave the file out.
    expect(chosen(withoutBadFiles(rows, files, p))).toEqual([0, 2]);
  });

  it('the type for all changes the files that had none or had the old one, not those set by hand', () => {
    let rows = initialRows(files);
    rows = applyTypeForAll(rows, '', 'lab');
    rows[2].category = 'imaging';
    rows = applyTypeForAll(rows, 'lab', 'insurance');
    expect(rows.map((r) => r.category)).toEqual(['insurance', 'insurance', 'imaging']);
  });
});
