/** Where a target lives in the Origin Private File System: its folder and its file name. */
export interface OpfsLocation {
  readonly directory: FileSystemDirectoryHandle;
  readonly name: string;
}

/** The suffix of the file that holds a download's bytes until it is complete (R19). */
export const PART_SUFFIX = '.part';

/**
 * Whether `target` is no file name in OPFS: an empty segment, `.` or `..` (a target must not escape its root), or a
 * backslash, which Chromium refuses in a name ("Name is not allowed") after the folders before it were made.
 */
export const isBadTargetName = (target: string): boolean =>
  target
    .split('/')
    .some((segment) => segment === '' || segment === '.' || segment === '..' || segment.includes('\\'));

/**
 * Resolves a target name such as `videos/big.iso` under `root`, creating the folders when `create` is set. A name
 * `isBadTargetName` refuses is a `TypeError`.
 */
export const resolveTarget = async (
  root: FileSystemDirectoryHandle,
  target: string,
  create: boolean,
): Promise<OpfsLocation> => {
  if (isBadTargetName(target)) throw new TypeError(`not a valid OPFS target name: ${JSON.stringify(target)}`);
  const segments = target.split('/');
  const name = segments.pop() ?? '';
  let directory = root;
  for (const segment of segments) {
    try {
      directory = await directory.getDirectoryHandle(segment, { create });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'TypeMismatchError')
        throw new UnsafeTarget(`${segment} is a file, not a folder`);
      throw error;
    }
  }
  return { directory, name };
};

/** A target that names something other than a file in a folder (R30): refused before any request, left as it is. */
export class UnsafeTarget extends Error {
  override readonly name = 'UnsafeTarget';
}

/** Throws `UnsafeTarget` when `location` names a folder: a download's finished file could never go there. */
export const assertNotFolder = async (location: OpfsLocation): Promise<void> => {
  try {
    await location.directory.getDirectoryHandle(location.name);
  } catch {
    return;
  }
  throw new UnsafeTarget(`${location.name} is a folder, not a file`);
};

/** The OPFS root of this origin. */
export const opfsRoot = (): Promise<FileSystemDirectoryHandle> => navigator.storage.getDirectory();
