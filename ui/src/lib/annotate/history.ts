// Undo and redo across every kind of annotation change (Ctrl+Z, Ctrl+Shift+Z). A change is
// kept as what the mark was before and after it; undoing applies the reverse. Pure: each call
// returns the new history and the change to apply.

/** A mark as the history keeps it: anything with an id. */
export type Mark = { id: string };

export type Change<M extends Mark> =
  | { kind: 'create'; after: M }
  | { kind: 'update'; before: M; after: M }
  | { kind: 'delete'; before: M };

export type History<M extends Mark> = { done: Change<M>[]; undone: Change<M>[] };

/** Changes kept for undo. */
export const UNDO_DEPTH = 200;

export function empty<M extends Mark>(): History<M> {
  return { done: [], undone: [] };
}

/** Records a change the user made; whatever was undone can no longer be redone. */
export function record<M extends Mark>(h: History<M>, c: Change<M>): History<M> {
  return { done: [...h.done, c].slice(-UNDO_DEPTH), undone: [] };
}

export function reverse<M extends Mark>(c: Change<M>): Change<M> {
  switch (c.kind) {
    case 'create':
      return { kind: 'delete', before: c.after };
    case 'delete':
      return { kind: 'create', after: c.before };
    case 'update':
      return { kind: 'update', before: c.after, after: c.before };
  }
}

/** Takes the last change back: the history after, and the change to apply now. */
export function undo<M extends Mark>(h: History<M>): { history: History<M>; apply: Change<M> } | null {
  const last = h.done.at(-1);
  if (!last) return null;
  return { history: { done: h.done.slice(0, -1), undone: [...h.undone, last] }, apply: reverse(last) };
}

export function redo<M extends Mark>(h: History<M>): { history: History<M>; apply: Change<M> } | null {
  const next = h.undone.at(-1);
  if (!next) return null;
  return { history: { done: [...h.done, next], undone: h.undone.slice(0, -1) }, apply: next };
}

/** The marks after a change. */
export function applyChange<M extends Mark>(marks: M[], c: Change<M>): M[] {
  switch (c.kind) {
    case 'create':
      return [...marks.filter((m) => m.id !== c.after.id), c.after];
    case 'delete':
      return marks.filter((m) => m.id !== c.before.id);
    case 'update':
      return marks.map((m) => (m.id === c.after.id ? c.after : m));
  }
}

/** Which key press means undo or redo: Ctrl+Z / Ctrl+Shift+Z (Cmd on a Mac), and Ctrl+Y. */
export function undoKey(e: { key: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }): 'undo' | 'redo' | null {
  if (!(e.ctrlKey || e.metaKey)) return null;
  const k = e.key.toLowerCase();
  if (k === 'z') return e.shiftKey ? 'redo' : 'undo';
  if (k === 'y') return 'redo';
  return null;
}
