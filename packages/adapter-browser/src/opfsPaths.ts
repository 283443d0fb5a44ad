/** Where a target lives in the Origin Private File System: its folder and its file name. */
export interface OpfsLocation {
  readonly directory: FileSystemDirectoryHandle;
  readonly name: string;
}

/** The suffix of the file that holds a download's bytes until it is complete (R19). */
export const PART_SUFFIX = '.part';

/**
 * Resolves a target name such as `videos/big.iso` under `root`, creating the folders when `create` is set. Empty
 * segments, `.` and `..` are refused: OPFS names are plain names, and a target must not escape its root.
 */
export const resolveTarget = async (
  root: FileSystemDirectoryHandle,
  target: string,
  create: boolean,
): Promise<OpfsLocation> => {
  const segments = target.split('/');
  const name = segments.pop() ?? '';
  const bad = (segment: string) => segment === '' || segment === '.' || segment === '..';
  if (bad(name) || segments.some(bad))
    throw new TypeError(`not a valid OPFS target name: ${JSON.stringify(target)}`);
  let directory = root;
  for (const segment of segments) directory = await directory.getDirectoryHandle(segment, { create });
  return { directory, name };
};

/** The OPFS root of this origin. */
export const opfsRoot = (): Promise<FileSystemDirectoryHandle> => navigator.storage.getDirectory();
