import { readlinkSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { ByteRange } from '@rdl/core';
import { addRange, coveredBytes, decodeCheckpoint } from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkpointPathOf, FileCheckpointStore } from '../src/FileCheckpointStore.js';
import { FsStorage } from '../src/FsStorage.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { completes, fileSha256 } from './support/harness.js';
import { useTempDir } from './support/tempDir.js';

/**
 * The system calls that make a download durable (R19, R20), in the order the process made them: the adapter's
 * rename and unlink (through this mock of node:fs/promises) and every FileHandle's write, datasync, sync and
 * writeFile (spied on its prototype), each named by the path its descriptor has when it is made.
 */
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const hook: { call: (op: string, ...paths: string[]) => void } = { call: () => undefined };
  return {
    ...real,
    hook,
    rename: async (from: string, to: string) => {
      await real.rename(from, to);
      hook.call('rename', from, to);
    },
    unlink: async (path: string) => {
      await real.unlink(path);
      hook.call('unlink', path);
    },
  };
});

const dir = useTempDir('rdl-durable-');

/** One call: `begin` and `end` of the slow ones, so that a fsync begun before a rename never counts for it. */
interface Call {
  readonly op: string;
  readonly phase: 'begin' | 'end' | 'done';
  /** The file (or folder, `.`) as a name in the test's folder; a checkpoint temp keeps its random part. */
  readonly name: string;
  readonly to?: string;
  readonly text?: string;
  readonly range?: ByteRange;
}

const calls: Call[] = [];
const nameOf = (path: string): string => relative(dir(), path) || '.';
const nameOfFd = (fd: number): string => nameOf(readlinkSync(`/proc/self/fd/${fd}`));
const isTemp = (name: string): boolean => name.endsWith('.tmp');
/** The index of the last of `list` that `test` holds for, or -1. */
const lastIndex = <T>(list: readonly T[], test: (item: T) => boolean): number => {
  for (let i = list.length - 1; i >= 0; i--) if (test(list[i] as T)) return i;
  return -1;
};

beforeEach(async () => {
  calls.length = 0;
  const mocked = (await import('node:fs/promises')) as unknown as {
    hook: { call: (op: string, ...paths: string[]) => void };
  };
  mocked.hook.call = (op, from, to) => {
    if (from === undefined || !from.startsWith(dir())) return;
    calls.push({ op, phase: 'done', name: nameOf(from), ...(to === undefined ? {} : { to: nameOf(to) }) });
  };
  const handle = await fs.open(dir(), 'r');
  const proto = Object.getPrototypeOf(handle) as fs.FileHandle;
  await handle.close();
  const watch = (op: 'sync' | 'datasync') => {
    const real = proto[op];
    // Both take no argument and resolve to nothing.
    vi.spyOn(proto, op as 'sync').mockImplementation(async function (this: fs.FileHandle) {
      const name = nameOfFd(this.fd);
      calls.push({ op, phase: 'begin', name });
      await real.call(this);
      calls.push({ op, phase: 'end', name });
    });
  };
  watch('sync');
  watch('datasync');
  const realWrite = proto.write;
  vi.spyOn(proto, 'write').mockImplementation(async function (this: fs.FileHandle, ...args: unknown[]) {
    const name = nameOfFd(this.fd);
    const written = await (realWrite as (...a: unknown[]) => Promise<{ bytesWritten: number }>).apply(
      this,
      args,
    );
    const position = args[3];
    if (typeof position === 'number' && written.bytesWritten > 0) {
      calls.push({ op: 'write', phase: 'done', name, range: [position, position + written.bytesWritten] });
    }
    return written as never;
  });
  const realWriteFile = proto.writeFile;
  vi.spyOn(proto, 'writeFile').mockImplementation(async function (this: fs.FileHandle, data, options) {
    calls.push({ op: 'writeFile', phase: 'begin', name: nameOfFd(this.fd), text: String(data) });
    await realWriteFile.call(this, data, options);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** `calls` as short lines, without the writes: what the assertions read and what a failure prints. */
const lines = (): string[] =>
  calls
    .filter((call) => call.op !== 'write')
    .map((call) => {
      const name = isTemp(call.name)
        ? basename(call.name).replace(/\.[^.]+\.tmp$/, '.<random>.tmp')
        : call.name;
      const to = call.to === undefined ? '' : ` -> ${call.to}`;
      return `${call.op}${call.phase === 'done' ? '' : `:${call.phase}`} ${name}${to}`;
    });

describe('R19, R20: the Node adapter makes its data durable, in order', () => {
  it('R20: a checkpoint save writes its temp, fsyncs it, renames it over the checkpoint, then fsyncs the folder; a removal unlinks, then fsyncs the folder', async () => {
    const store = new FileCheckpointStore();
    const target = join(dir(), 'out.bin');
    const saved = await store.save(target, '{"the":"text"}')();
    expect(E.isRight(saved)).toBe(true);
    calls.push({ op: 'saved', phase: 'done', name: '.' });
    const removed = await store.remove(target)();
    expect(E.isRight(removed)).toBe(true);
    calls.push({ op: 'removed', phase: 'done', name: '.' });
    expect(lines()).toEqual([
      'writeFile:begin out.bin.rdl.json.<random>.tmp',
      'sync:begin out.bin.rdl.json.<random>.tmp',
      'sync:end out.bin.rdl.json.<random>.tmp',
      'rename out.bin.rdl.json.<random>.tmp -> out.bin.rdl.json',
      'sync:begin .',
      'sync:end .',
      'saved .',
      'unlink out.bin.rdl.json',
      'sync:begin .',
      'sync:end .',
      'removed .',
    ]);
  });

  it('R19: a flush is an fdatasync of the part file; a commit fsyncs it, renames it to the target, then fsyncs the folder', async () => {
    const storage = new FsStorage();
    const target = join(dir(), 'out.bin');
    const opened = await storage.open(target)();
    if (E.isLeft(opened)) throw new Error(`open failed: ${opened.left._tag}`);
    const file = opened.right;
    expect(E.isRight(await file.write(0, new Uint8Array(1000).fill(7))())).toBe(true);
    calls.length = 0;
    expect(E.isRight(await file.flush()())).toBe(true);
    calls.push({ op: 'flushed', phase: 'done', name: '.' });
    expect(E.isRight(await file.commit()())).toBe(true);
    calls.push({ op: 'committed', phase: 'done', name: '.' });
    expect(lines()).toEqual([
      'datasync:begin out.bin.part',
      'datasync:end out.bin.part',
      'flushed .',
      'sync:begin out.bin.part',
      'sync:end out.bin.part',
      'rename out.bin.part -> out.bin',
      'sync:begin .',
      'sync:end .',
      'unlink out.bin.lock',
      'committed .',
    ]);
  });
});

describe('R19, R20, R42: a whole download, against the fault server and the real file system', () => {
  const size = 3 * 1024 * 1024;
  const body = generateBytes(size, 43);
  const server = useFaultServer();
  server.serve('/file', body);

  /**
   * Reads `calls` in order: the bytes of the part file a datasync or fsync made durable (those whose write ended
   * before it began), against the ranges each checkpoint temp holds when its text is written; and the steps each
   * save and the commit take. Returns what broke the order, and how many checkpoints were written.
   */
  const audit = (target: string): { readonly violations: string[]; readonly saves: number } => {
    const part = `${basename(target)}.part`;
    const checkpoint = basename(checkpointPathOf(target));
    const isCheckpointTemp = (name: string): boolean => name.startsWith(`${checkpoint}.`) && isTemp(name);
    const violations: string[] = [];
    let written: ByteRange[] = [];
    let durable: ByteRange[] = [];
    const syncing = new Map<string, ByteRange[]>();
    let saves = 0;
    calls.forEach((call, at) => {
      const later = calls.slice(at + 1);
      if (call.name === part && call.op === 'write' && call.range !== undefined)
        written = addRange(written, call.range);
      if (call.name === part && (call.op === 'datasync' || call.op === 'sync')) {
        if (call.phase === 'begin') syncing.set(call.op, written);
        else for (const range of syncing.get(call.op) ?? []) durable = addRange(durable, range);
      }
      if (call.op === 'writeFile' && isCheckpointTemp(call.name)) {
        saves += 1;
        const decoded = decodeCheckpoint(call.text ?? '');
        if (E.isLeft(decoded)) violations.push(`save ${saves}: the text does not decode: ${decoded.left}`);
        else {
          const beyond = decoded.right.ranges.filter(
            (range) => coveredBytes(addRange(durable, range)) > coveredBytes(durable),
          );
          if (beyond.length > 0)
            violations.push(
              `save ${saves} counts ${JSON.stringify(beyond)}, only ${JSON.stringify(durable)} were datasynced`,
            );
        }
        // Its own temp: fsynced (ended), renamed over the checkpoint, then a folder fsync begun after the rename
        // and ended before the next save or the commit's rename.
        const synced = later.findIndex((c) => c.op === 'sync' && c.phase === 'end' && c.name === call.name);
        const renamed = later.findIndex(
          (c) => c.op === 'rename' && c.name === call.name && c.to === checkpoint,
        );
        const next = later.findIndex(
          (c) => (c.op === 'writeFile' && isCheckpointTemp(c.name)) || (c.op === 'rename' && c.name === part),
        );
        const bound = next === -1 ? later.length : next;
        const folder = later.findIndex((c, i) => i > renamed && c.op === 'sync' && c.name === '.');
        const folderEnd = later.findIndex(
          (c, i) => i > folder && c.op === 'sync' && c.phase === 'end' && c.name === '.',
        );
        if (synced === -1 || renamed === -1 || synced > renamed)
          violations.push(`save ${saves}: its temp was not fsynced before its rename`);
        if (renamed === -1 || folder === -1 || folderEnd === -1 || folderEnd > bound)
          violations.push(`save ${saves}: no folder fsync after its rename, before the next step`);
      }
    });
    const commit = calls.findIndex((c) => c.op === 'rename' && c.name === part);
    if (commit === -1) violations.push('the part file was never renamed to the target');
    else {
      const before = calls.slice(0, commit);
      const lastSync = lastIndex(before, (c) => c.op === 'sync' && c.phase === 'end' && c.name === part);
      const lastWrite = lastIndex(before, (c) => c.op === 'write' && c.name === part);
      const lastBegin = lastIndex(
        before,
        (c: Call) => c.op === 'sync' && c.phase === 'begin' && c.name === part,
      );
      if (lastSync === -1 || lastBegin < lastWrite)
        violations.push('the commit renamed a part file not fsynced after its last write');
      // The commit's own folder fsync comes before the checkpoint's removal, which fsyncs the folder again.
      const after = calls.slice(commit + 1);
      const removal = after.findIndex((c) => c.op === 'unlink' && c.name === checkpoint);
      const folderSync = after.findIndex((c) => c.op === 'sync' && c.phase === 'begin' && c.name === '.');
      if (folderSync === -1 || (removal !== -1 && folderSync > removal))
        violations.push('no folder fsync after the commit’s rename, before the checkpoint’s removal');
      if (removal === -1) violations.push('the checkpoint was never removed');
      else if (
        !after.slice(removal + 1).some((c) => c.op === 'sync' && c.phase === 'begin' && c.name === '.')
      )
        violations.push('no folder fsync after the checkpoint’s removal');
    }
    return { violations, saves };
  };

  it.each([1, 4])(
    'R20, R42: every checkpoint counts only bytes an fdatasync begun after their write made durable, and each is saved through an fsynced temp, a rename and a folder fsync; the commit fsyncs, renames, fsyncs the folder (%i connections)',
    async (connections) => {
      const target = join(dir(), 'out.bin');
      // A cut mid-file: the retry resumes from the last checkpoint.
      server.fail({ kind: 'cut', at: 1_500_000 }, { method: 'GET' });
      await completes({
        url: server.url('/file'),
        target,
        checkpointIntervalMs: 1,
        writeBufferBytes: 64 * 1024,
        connections,
      });
      expect(await fileSha256(target)).toBe(sha256(body));
      const { violations, saves } = audit(target);
      expect(saves).toBeGreaterThan(2);
      expect(violations, lines().join('\n')).toEqual([]);
    },
  );
});
