/** Test-side looks into OPFS, from the page (reads need no sync handle). */

const resolve = async (path: string): Promise<{ dir: FileSystemDirectoryHandle; name: string } | null> => {
  const segments = path.split('/');
  const name = segments.pop() ?? '';
  let dir = await navigator.storage.getDirectory();
  try {
    for (const segment of segments) dir = await dir.getDirectoryHandle(segment);
  } catch {
    return null;
  }
  return { dir, name };
};

export const readOpfsFile = async (path: string): Promise<Uint8Array | null> => {
  const at = await resolve(path);
  if (at === null) return null;
  try {
    const file = await (await at.dir.getFileHandle(at.name)).getFile();
    return new Uint8Array(await file.arrayBuffer());
  } catch {
    return null;
  }
};

export const opfsFileExists = async (path: string): Promise<boolean> => (await readOpfsFile(path)) !== null;

export const removeOpfsEntry = async (name: string): Promise<void> => {
  const root = await navigator.storage.getDirectory();
  await root.removeEntry(name, { recursive: true }).catch(() => {});
};

let counter = 0;
/** A folder name no other test uses. */
export const uniqueFolder = (prefix: string): string => `${prefix}-${Date.now()}-${counter++}`;
