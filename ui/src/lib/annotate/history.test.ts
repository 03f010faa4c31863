import { describe, expect, it } from 'vitest';
import { UNDO_DEPTH, applyChange, empty, record, redo, undo, undoKey, type Change } from './history';

type M = { id: string; color: string };
const a: M = { id: 'a', color: '#ff0000' };
const a2: M = { id: 'a', color: '#00ff00' };
const b: M = { id: 'b', color: '#0000ff' };

/** Replays undo/redo the way the viewer does: apply what each step returns. */
function step(marks: M[], h: ReturnType<typeof empty<M>>, f: typeof undo<M>) {
  const r = f(h);
  if (!r) return { marks, h };
  return { marks: applyChange(marks, r.apply), h: r.history };
}

describe('undo and redo', () => {
  it('take back and bring back create, update and delete in order', () => {
    let marks: M[] = [];
    let h = empty<M>();
    const user = (c: Change<M>) => {
      marks = applyChange(marks, c);
      h = record(h, c);
    };
    user({ kind: 'create', after: a });
    user({ kind: 'create', after: b });
    user({ kind: 'update', before: a, after: a2 });
    user({ kind: 'delete', before: b });
    expect(marks).toEqual([a2]);
    const states: M[][] = [];
    for (let i = 0; i < 4; i += 1) {
      ({ marks, h } = step(marks, h, undo));
      states.push(marks);
    }
    expect(states).toEqual([[a2, b], [a, b], [a], []]);
    expect(undo(h)).toBeNull();
    for (let i = 0; i < 4; i += 1) ({ marks, h } = step(marks, h, redo));
    expect(marks).toEqual([a2]);
    expect(redo(h)).toBeNull();
  });

  it('a new change after an undo drops what could be redone', () => {
    let h = record(empty<M>(), { kind: 'create', after: a });
    h = undo(h)!.history;
    h = record(h, { kind: 'create', after: b });
    expect(redo(h)).toBeNull();
    expect(h.done).toHaveLength(1);
  });

  it('keeps a bounded number of changes', () => {
    let h = empty<M>();
    for (let i = 0; i < UNDO_DEPTH + 50; i += 1) h = record(h, { kind: 'create', after: { id: `m${i}`, color: '#000000' } });
    expect(h.done).toHaveLength(UNDO_DEPTH);
  });

  it('Ctrl+Z undoes, Ctrl+Shift+Z and Ctrl+Y redo, plain Z does nothing', () => {
    const k = (key: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }> = {}) =>
      undoKey({ key, ctrlKey: false, metaKey: false, shiftKey: false, ...mods });
    expect(k('z', { ctrlKey: true })).toBe('undo');
    expect(k('Z', { ctrlKey: true, shiftKey: true })).toBe('redo');
    expect(k('y', { ctrlKey: true })).toBe('redo');
    expect(k('z', { metaKey: true })).toBe('undo');
    expect(k('z')).toBeNull();
  });
});
