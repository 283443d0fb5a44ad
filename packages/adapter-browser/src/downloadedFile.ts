import { DownloadError } from '@rdl/core';
import { assertNotFolder, type OpfsLocation, opfsRoot, resolveTarget, UnsafeTarget } from './opfsPaths.js';
import { toStorageFailure } from './storageFailure.js';
import { targetProblem } from './targetProblem.js';

/**
 * Where the finished file `target` is. A name no download may have is refused as `createDownload` refuses it
 * (`ERR_INVALID_INPUT`): `<t>.part` is a download's unfinished bytes (R19), a paused one's that `start()` goes on
 * from. A folder is `ERR_UNSAFE_PATH`: no download wrote it.
 */
const finishedFileAt = async (target: string): Promise<OpfsLocation> => {
  const problem = targetProblem(target);
  if (problem !== null) throw new DownloadError(problem);
  try {
    const location = await resolveTarget(await opfsRoot(), target, false);
    await assertNotFolder(location);
    return location;
  } catch (error) {
    throw error instanceof UnsafeTarget ? new DownloadError(toStorageFailure(error, target)) : error;
  }
};

/**
 * The finished download `target` as a `File` read from OPFS (no copy is made). Rejects with a `NotFoundError`
 * `DOMException` while the download is not complete: until then only `<target>.part` exists (R19). A name no
 * target may have (`x.part`, `..`) is a `DownloadError` `ERR_INVALID_INPUT`, a folder `ERR_UNSAFE_PATH`.
 */
export const getDownloadedFile = async (target: string): Promise<File> => {
  const { directory, name } = await finishedFileAt(target);
  return (await directory.getFileHandle(name)).getFile();
};

/**
 * Deletes the finished file `target` from OPFS; a missing file is not an error. Refuses what `getDownloadedFile`
 * refuses, and deletes nothing then: a part file is removed by the download's `cancel()`, which drops its checkpoint
 * too.
 */
export const removeDownloadedFile = async (target: string): Promise<void> => {
  try {
    const { directory, name } = await finishedFileAt(target);
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
