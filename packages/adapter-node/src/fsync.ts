import { open } from 'node:fs/promises';
import { errnoOf } from './fsFailure.js';

/**
 * Makes a rename, creation or removal inside `directory` durable (R19, R20). Some platforms cannot open or fsync
 * a folder (Windows, some network file systems): they answer EISDIR, EINVAL, EPERM or ENOTSUP, and there the
 * rename is as durable as the platform allows, so those are not failures.
 */
export const fsyncDirectory = async (directory: string): Promise<void> => {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(directory, 'r');
  } catch (error) {
    if (isUnsupported(error)) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!isUnsupported(error)) throw error;
  } finally {
    await handle.close();
  }
};

const isUnsupported = (error: unknown): boolean => {
  const code = errnoOf(error);
  return code === 'EISDIR' || code === 'EINVAL' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EBADF';
};
