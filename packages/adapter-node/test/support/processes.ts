import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** Whether `pid` still runs: a zombie (state Z, waiting for whoever adopted it to reap it) has ended. */
export const isAlive = async (pid: number): Promise<boolean> => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat !== null && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
};

/** A pid that is certainly not running: a child that has exited and been reaped. */
export const deadPid = async (): Promise<number> => {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 0;
};
