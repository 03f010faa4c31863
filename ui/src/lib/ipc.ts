// The one door to the Rust side: commands and events typed by the maps generated from Rust
// (bindings.ts: `Commands`, `Events`), and picture URLs. Every command
// rejects with a CommandError `{code, message}`; callers branch on `code`.
import { invoke, convertFileSrc } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  CommandError,
  Commands,
  Events,
  ImportReview,
  MarksSynced,
  QueueProgress,
  Unsent,
  ZipProgress,
} from './bindings';

export type CommandName = keyof Commands;

export function call<K extends CommandName>(cmd: K, args: Commands[K][0]): Promise<Commands[K][1]> {
  return invoke<Commands[K][1]>(cmd, args).catch((e: unknown) => {
    throw asCommandError(e);
  });
}

/** Whatever was thrown, as `{code, message}`. */
export function asCommandError(e: unknown): CommandError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) return e as CommandError;
  return { code: 'bad_response', message: String(e instanceof Error ? e.message : e) };
}

/** Listens to event `name`; its payload type comes from the generated `Events` map. */
export function on<E extends keyof Events>(name: E, f: (payload: Events[E]) => void): Promise<UnlistenFn> {
  return listen<Events[E]>(name, (ev) => f(ev.payload));
}

export function onZipProgress(f: (p: ZipProgress) => void): Promise<UnlistenFn> {
  return on('zip-progress', f);
}

export function onQueueChanged(f: () => void): Promise<UnlistenFn> {
  return on('queue-changed', () => f());
}

/** Mark changes kept while offline reached the server (or were refused). */
export function onMarksSynced(f: (s: MarksSynced) => void): Promise<UnlistenFn> {
  return on('marks-synced', f);
}

/** The window is being closed while uploads or mark changes are unsent. */
export function onCloseWithUnsent(f: (u: Unsent) => void): Promise<UnlistenFn> {
  return on('close-with-unsent', f);
}

export function onQueueProgress(f: (p: QueueProgress) => void): Promise<UnlistenFn> {
  return on('queue-progress', f);
}

/** Files are being dragged over the window (true) or no longer (false). */
export function onDropHover(f: (over: boolean) => void): Promise<UnlistenFn> {
  return on('drop-hover', f);
}

/** A drop is being read: `n` files. */
export function onImportStarted(f: (n: number) => void): Promise<UnlistenFn> {
  return on('import-started', f);
}

/** A drop is walked and checked: open the review sheet. */
export function onImportReview(f: (r: ImportReview) => void): Promise<UnlistenFn> {
  return on('import-review', f);
}

/** The scanner folder's list of ready files changed. */
export function onScannedChanged(f: () => void): Promise<UnlistenFn> {
  return on('scanned-changed', () => f());
}

/** A picture served by the app's `clinicdocs://` scheme (see src-tauri/src/media/scheme.rs). */
export function mediaUrl(path: string): string {
  return convertFileSrc('', 'clinicdocs') + path;
}
