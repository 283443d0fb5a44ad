import { opfsRoot, resolveTarget } from './opfsPaths.js';

/**
 * The finished download `target` as a `File` read from OPFS (no copy is made). Rejects with a `NotFoundError`
 * `DOMException` while the download is not complete: until then only `<target>.part` exists (R19).
 */
export const getDownloadedFile = async (target: string): Promise<File> => {
  const { directory, name } = await resolveTarget(await opfsRoot(), target, false);
  return (await directory.getFileHandle(name)).getFile();
};

/** Deletes the finished file `target` from OPFS; a missing file is not an error. */
export const removeDownloadedFile = async (target: string): Promise<void> => {
  try {
    const { directory, name } = await resolveTarget(await opfsRoot(), target, false);
    await directory.removeEntry(name);
  } catch (error) {
    if (!(error instanceof DOMException && error.name === 'NotFoundError')) throw error;
  }
};

interface SaveFilePicker {
  showSaveFilePicker?: (options: { suggestedName: string }) => Promise<FileSystemFileHandle>;
}

/**
 * Hands `file` to the user as `name`. Where `showSaveFilePicker` exists (Chromium on desktop) the user picks a place
 * and the bytes are streamed there; elsewhere a temporary `<a download>` link is clicked, which the browser saves to
 * its downloads folder. Must run in a page, from a user gesture for the picker. Resolves `false` when the user
 * dismissed the picker.
 */
export const saveFile = async (file: Blob, name: string): Promise<boolean> => {
  const picker = (globalThis as SaveFilePicker).showSaveFilePicker;
  if (picker !== undefined) {
    let handle: FileSystemFileHandle;
    try {
      handle = await picker({ suggestedName: name });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') return false;
      throw error;
    }
    await file.stream().pipeTo(await handle.createWritable());
    return true;
  }
  const url = URL.createObjectURL(file);
  const link = Object.assign(document.createElement('a'), { href: url, download: name, rel: 'noopener' });
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The browser reads the blob after the click returns; revoking at once can cut the save short.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return true;
};
