// The one door to the Rust side: typed commands, events and picture URLs. Every command
// rejects with a CommandError `{code, message}`; callers branch on `code`.
import { invoke, convertFileSrc } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  Annotation,
  AnnotationUpdate,
  AppInfo,
  CommandError,
  DocumentFilter,
  DocumentItem,
  DocumentPatch,
  FileCheck,
  ImageScale,
  NewAnnotation,
  ImportLimits,
  ImportRequest,
  ImportReview,
  MarkChange,
  MarksSynced,
  Patient,
  PatientFile,
  QueueItem,
  QueueProgress,
  Requeue,
  RecentPatient,
  SavedMark,
  ScannedInbox,
  ScanRequest,
  SavedFile,
  SessionInfo,
  StorageReport,
  StorageUsage,
  UploadRequest,
  Unsent,
  ZipProgress,
} from './bindings';

type Commands = {
  app_info: [Record<string, never>, AppInfo];
  restore_session: [Record<string, never>, SessionInfo | null];
  sign_in: [{ serverUrl: string; email: string; password: string }, SessionInfo];
  sign_out: [Record<string, never>, null];
  find_patients: [{ query: string }, Patient[]];
  open_patient: [{ patientId: string }, PatientFile];
  recent_patients: [Record<string, never>, RecentPatient[]];
  list_documents: [{ filter: DocumentFilter }, DocumentItem[]];
  storage_usage: [Record<string, never>, StorageUsage];
  storage_report: [Record<string, never>, StorageReport];
  update_document: [{ id: string; patch: DocumentPatch }, DocumentItem];
  delete_document: [{ id: string }, null];
  pdf_page_count: [{ id: string }, number];
  pick_files: [Record<string, never>, string[]];
  check_file: [{ path: string; patientId: string; encounterId: string | null }, FileCheck];
  queue_upload: [{ request: UploadRequest }, QueueItem];
  queue_items: [Record<string, never>, QueueItem[]];
  queue_discard: [{ id: string }, null];
  queue_resend: [{ id: string; change: Requeue }, null];
  close_anyway: [Record<string, never>, null];
  test_drop: [{ paths: string[] }, ImportReview];
  check_import: [{ importId: string; patientId: string; encounterId: string | null; indexes: number[] }, ImportLimits];
  queue_import: [{ importId: string; request: ImportRequest }, QueueItem[]];
  cancel_import: [{ importId: string }, null];
  scanned_files: [Record<string, never>, ScannedInbox];
  pick_scanner_folder: [Record<string, never>, string | null];
  queue_scanned: [{ request: ScanRequest }, QueueItem[]];
  list_annotations: [{ documentId: string }, Annotation[]];
  create_annotation: [{ documentId: string; annotation: NewAnnotation }, SavedMark];
  update_annotation: [{ documentId: string; pageNumber: number; id: string; update: AnnotationUpdate }, SavedMark];
  delete_annotation: [{ documentId: string; pageNumber: number; id: string; version: number }, SavedMark];
  mark_changes: [Record<string, never>, MarkChange[]];
  image_scale: [{ id: string }, ImageScale | null];
  discard_mark_change: [{ annotationId: string }, null];
  save_document: [{ id: string }, SavedFile | null];
  export_annotated: [{ id: string }, SavedFile | null];
  download_all: [{ ids: string[]; zipName: string }, SavedFile | null];
};

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

export function onZipProgress(f: (p: ZipProgress) => void): Promise<UnlistenFn> {
  return listen<ZipProgress>('zip-progress', (ev) => f(ev.payload));
}

export function onQueueChanged(f: () => void): Promise<UnlistenFn> {
  return listen<null>('queue-changed', () => f());
}

/** Mark changes kept while offline reached the server (or were refused). */
export function onMarksSynced(f: (s: MarksSynced) => void): Promise<UnlistenFn> {
  return listen<MarksSynced>('marks-synced', (ev) => f(ev.payload));
}

/** The window is being closed while uploads or mark changes are unsent. */
export function onCloseWithUnsent(f: (u: Unsent) => void): Promise<UnlistenFn> {
  return listen<Unsent>('close-with-unsent', (ev) => f(ev.payload));
}

export function onQueueProgress(f: (p: QueueProgress) => void): Promise<UnlistenFn> {
  return listen<QueueProgress>('queue-progress', (ev) => f(ev.payload));
}

/** Files are being dragged over the window (true) or no longer (false). */
export function onDropHover(f: (over: boolean) => void): Promise<UnlistenFn> {
  return listen<boolean>('drop-hover', (ev) => f(ev.payload));
}

/** A drop is being read: `n` files. */
export function onImportStarted(f: (n: number) => void): Promise<UnlistenFn> {
  return listen<number>('import-started', (ev) => f(ev.payload));
}

/** A drop is walked and checked: open the review sheet. */
export function onImportReview(f: (r: ImportReview) => void): Promise<UnlistenFn> {
  return listen<ImportReview>('import-review', (ev) => f(ev.payload));
}

/** The scanner folder's list of ready files changed. */
export function onScannedChanged(f: () => void): Promise<UnlistenFn> {
  return listen<null>('scanned-changed', () => f());
}

/** A picture served by the app's `clinicdocs://` scheme (see src-tauri/src/media/scheme.rs). */
export function mediaUrl(path: string): string {
  return convertFileSrc('', 'clinicdocs') + path;
}
