// Saving and sync state of a document's marks: each change is shown at once, then saved with
// the version it was based on (someone else's newer change is reloaded, never overwritten);
// without network the app keeps it on this computer and says so; changes kept offline that
// reach the server later (`marks-synced`) make the marks be read again once nothing is in
// hand. Undo and redo save the reverse change like any other.

import { asCommandError, call } from '../ipc';
import type { Annotation, SavedMark } from '../bindings';
import { applyChange, empty, record, redo, undo, type Change, type History } from './history';
import { shapeOf } from './marks';

export type SaveStatus = 'saved' | 'saving' | 'failed' | 'queued';

export class MarkSaver {
  marks = $state<Annotation[]>([]);
  history = $state<History<Annotation>>(empty());
  status = $state<SaveStatus>('saved');
  /** Changes of this document kept on this computer until the server can be reached. */
  queued = $state(false);
  message = $state('');
  #saving = 0;
  #reloadWhenIdle = false;

  /** `documentId` is the document shown; `busy` says a gesture or typing is under way. */
  constructor(
    private documentId: () => string,
    private busy: () => boolean,
  ) {}

  /** Another document: nothing of the last one stays. */
  reset() {
    this.marks = [];
    this.history = empty();
    this.load();
  }

  async load() {
    try {
      this.marks = await call('list_annotations', { documentId: this.documentId() });
    } catch (e) {
      this.message = asCommandError(e).message;
    }
  }

  /** Runs a save; keeps the saving/saved state and says what went wrong. */
  async #save(f: () => Promise<SavedMark>): Promise<SavedMark | null> {
    this.#saving += 1;
    this.status = 'saving';
    try {
      const r = await f();
      this.message = '';
      if (r.queued) this.queued = true;
      return r;
    } catch (e) {
      const ce = asCommandError(e);
      if (ce.code === 'conflict') {
        this.message = `${ce.message} Their version is shown now.`;
        await this.load();
      } else {
        this.message = ce.message;
      }
      this.status = 'failed';
      return null;
    } finally {
      this.#saving -= 1;
      if (this.#saving === 0 && this.status !== 'failed') this.status = this.queued ? 'queued' : 'saved';
    }
  }

  /**
   * Sends a change and returns the marks as stored (versions from the server), or as drawn
   * when the change was kept on this computer to be sent later.
   */
  async #commit(c: Change<Annotation>): Promise<Change<Annotation> | null> {
    const documentId = this.documentId();
    if (c.kind === 'create') {
      const a = c.after;
      const made = await this.#save(() =>
        call('create_annotation', { documentId, annotation: { id: a.id, page_number: a.page_number, ...shapeOf(a), style: a.style, text: a.text } }),
      );
      return made ? { kind: 'create', after: made.annotation ?? a } : null;
    }
    if (c.kind === 'delete') {
      const live = this.marks.find((m) => m.id === c.before.id) ?? c.before;
      const ok = await this.#save(() => call('delete_annotation', { documentId, pageNumber: live.page_number, id: live.id, version: live.version }));
      return ok ? { kind: 'delete', before: live } : null;
    }
    const live = this.marks.find((m) => m.id === c.after.id) ?? c.before;
    const a = c.after;
    const updated = await this.#save(() =>
      call('update_annotation', { documentId, pageNumber: a.page_number, id: a.id, update: { ...shapeOf(a), style: a.style, text: a.text, version: live.version } }),
    );
    return updated ? { kind: 'update', before: live, after: updated.annotation ?? { ...a, version: live.version } } : null;
  }

  /**
   * A change the user made: shown at once, then saved and kept for undo as stored. When it
   * cannot be saved, the server's marks are shown again.
   */
  async change(c: Change<Annotation>) {
    this.marks = applyChange(this.marks, c);
    const stored = await this.#commit(c);
    if (!stored) {
      await this.load();
      return;
    }
    if (stored.kind !== 'delete') {
      // The server's version and dates; the shape, style and words as they are on screen now
      // (the doctor may have gone on typing or moving while this was saved).
      const s = stored.after;
      this.marks = this.marks.map((m) => (m.id === s.id ? ({ ...s, kind: m.kind, geometry: m.geometry, style: m.style, text: m.text } as Annotation) : m));
    }
    this.history = record(this.history, stored);
  }

  /** Undo or redo: the reverse change is saved like any other (a re-created mark keeps its id). */
  async travel(which: 'undo' | 'redo') {
    const r = which === 'undo' ? undo(this.history) : redo(this.history);
    if (!r) return;
    const stored = await this.#commit(r.apply);
    if (!stored) return;
    this.marks = applyChange(this.marks, stored);
    this.history = r.history;
  }

  /** Changes kept on this computer reached the server, or were refused. */
  synced(documents: string[], waiting: string[], refused: string[]) {
    const id = this.documentId();
    if (!documents.includes(id)) return;
    this.queued = waiting.includes(id);
    if (refused.length > 0) {
      this.message = refused.join(' ');
      this.status = 'failed';
    } else if (this.#saving === 0 && this.status !== 'failed') {
      this.status = this.queued ? 'queued' : 'saved';
    }
    this.#reloadWhenIdle = true;
    this.idle();
  }

  /** Reads the marks again if the server's changed meanwhile and nothing is in hand. */
  idle() {
    if (this.#reloadWhenIdle && !this.busy() && this.#saving === 0) {
      this.#reloadWhenIdle = false;
      this.load();
    }
  }

  /** Marks the save as under way while typing waits to be saved. */
  pending() {
    this.status = 'saving';
  }
}
