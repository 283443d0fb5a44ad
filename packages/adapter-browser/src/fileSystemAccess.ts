/**
 * The parts of the File System Access API this adapter uses that TypeScript's `DOM` lib leaves out: the
 * synchronous access handle exists only in dedicated workers (it is declared in the `WebWorker` lib, which cannot be
 * combined with `DOM`), and `move()` is a Chromium/Safari extension not yet in any lib.
 */

/** `FileSystemSyncAccessHandle`: exclusive, synchronous, in-place I/O on an OPFS file (dedicated workers only). */
export interface SyncAccessHandle {
  read(buffer: Uint8Array, options?: { at?: number }): number;
  write(buffer: Uint8Array, options?: { at?: number }): number;
  truncate(newSize: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

/** A file handle as this adapter uses it, with the optional extensions feature-tested at run time. */
export interface OpfsFileHandle extends FileSystemFileHandle {
  createSyncAccessHandle?: () => Promise<SyncAccessHandle>;
  move?: (destination: FileSystemDirectoryHandle, name: string) => Promise<void>;
}

/** Whether this realm can open synchronous access handles (a dedicated worker of a browser that has them). */
export const hasSyncAccessHandles = (): boolean =>
  typeof (globalThis as { FileSystemSyncAccessHandle?: unknown }).FileSystemSyncAccessHandle === 'function';
