import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { QueueStore } from '@rdl/core';
import { describe, expect, it } from 'vitest';
import { createQueue } from '../src/createQueue.js';
import { FileQueueStore } from '../src/FileQueueStore.js';
import { generateBytes, rangeStart, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { listDir, useTempDir } from './support/tempDir.js';

const size = 1024 * 1024;
const bodies = [1, 2, 3].map((seed) => generateBytes(size, 60 + seed));
const server = useFaultServer();
for (const [n, body] of bodies.entries()) server.serve(`/q${n}.bin`, body);
const dir = useTempDir();

/** The files this process holds open in the test's folder (the folder itself stays open a moment for its fsyncs). */
const openFiles = async (): Promise<string[]> => {
  const fds = await readdir('/proc/self/fd');
  const paths = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return paths.filter((path) => path.startsWith(`${dir()}/`));
};

describe('the Node queue (createQueue over a journal file)', () => {
  it('R45: close() pauses the running downloads with their checkpoints, closes the journal, and a queue over the same file finishes every file byte-exact', async () => {
    const file = join(dir(), '.rdl-queue');
    const first = createQueue({ file, concurrency: 2, maxBytesPerSecond: 256 * 1024 });
    const items = bodies.map((_, n) =>
      first.add({ url: server.url(`/q${n}.bin`), target: join(dir(), `q${n}.bin`) }),
    );
    await first.ready;
    await new Promise<void>((resolve) => {
      const off = first.on('progress', () => {
        const running = first
          .items()
          .filter((item) => item.state === 'running' && (item.progress?.bytes ?? 0) > 0);
        if (running.length === 2) {
          off();
          resolve();
        }
      });
    });
    await first.close();
    expect(first.summary()).toMatchObject({ running: 0, queued: 3, done: 0 });
    expect(await openFiles()).toEqual([]);
    const asked = server.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.requests.length).toBe(asked);
    expect(await listDir(dir())).toEqual(
      expect.arrayContaining([
        '.rdl-queue',
        'q0.bin.part',
        'q0.bin.rdl.json',
        'q1.bin.part',
        'q1.bin.rdl.json',
      ]),
    );

    const second = createQueue({ file, concurrency: 2 });
    await second.ready;
    expect(second.items().map((item) => item.id)).toEqual(items.map((item) => item.id));
    expect(await second.idle()).toMatchObject({ total: 3, done: 3 });
    for (const [n, body] of bodies.entries())
      expect(sha256(await readFile(join(dir(), `q${n}.bin`)))).toBe(sha256(body));
    const resumed = server.requests
      .slice(asked)
      .filter((q) => q.method === 'GET' && !q.url.endsWith('/q2.bin'));
    expect(resumed.map((q) => rangeStart(q) > 0)).toEqual([true, true]);
    await second.close();
    expect(await openFiles()).toEqual([]);
  });

  it('R45, R19, R21: a kill as the journal is to take the `done` record of a file that saved no checkpoint: the next queue over the file adopts it, with no request', async () => {
    const file = join(dir(), '.rdl-queue');
    const journal = new FileQueueStore(file);
    let killed = false;
    // The kill lands as the `done` record is to be written: nothing reaches the journal from then on.
    const dying: QueueStore = {
      load: () => journal.load(),
      put: (items) => {
        const all = [...items];
        if (all.some((item) => JSON.parse(item.text).state === 'done')) killed = true;
        return killed ? () => new Promise(() => undefined) : journal.put(all);
      },
      remove: (ids) => (killed ? () => new Promise(() => undefined) : journal.remove(ids)),
    };
    const first = createQueue({ store: dying });
    const target = join(dir(), 'q0.bin');
    first.add({ url: server.url('/q0.bin'), target, checkpointIntervalMs: 60_000 });
    await new Promise<void>((resolve) => first.on('done', () => resolve()));
    expect(killed).toBe(true);
    expect(await listDir(dir())).toEqual(['.rdl-queue', 'q0.bin']);

    const asked = server.requests.length;
    const second = createQueue({ file });
    expect(await second.idle()).toMatchObject({ total: 1, done: 1, failed: 0 });
    expect(server.requests.length).toBe(asked);
    expect(sha256(await readFile(target))).toBe(sha256(bodies[0]!));
    await second.close();
    expect(await listDir(dir())).toEqual(['.rdl-queue', 'q0.bin']);
  });

  it('R45, R22: a journal line whose JSON a hand edit broke is reported (QUEUE_ITEM_INVALID) and its item dropped, the others kept, and the next load is quiet', async () => {
    const file = join(dir(), '.rdl-queue');
    const first = createQueue({ file, paused: true });
    for (const n of [0, 1, 2]) first.add({ url: server.url(`/q${n}.bin`), target: join(dir(), `q${n}.bin`) });
    await first.ready;
    await first.flushed();
    await first.close();
    // The line of item 2 loses its last two characters.
    const lines = (await readFile(file, 'utf8')).split('\n');
    await writeFile(
      file,
      lines.map((line) => (line.startsWith('{"i":"2",') ? line.slice(0, -2) : line)).join('\n'),
    );

    const second = createQueue({ file, paused: true });
    const notices: string[] = [];
    second.on('notice', (event) => notices.push(`${event.code}: ${event.message}`));
    await second.ready;
    await second.flushed();
    expect(second.items().map((item) => item.id)).toEqual(['1', '3']);
    expect(notices).toEqual([
      'QUEUE_ITEM_INVALID: 1 stored queue item(s) could not be read and were dropped',
    ]);
    await second.close();

    const third = createQueue({ file, paused: true });
    third.on('notice', (event) => notices.push(`${event.code}: ${event.message}`));
    await third.ready;
    expect(third.items().map((item) => item.id)).toEqual(['1', '3']);
    expect(notices).toHaveLength(1);
    await third.close();
  });

  it('R45: an id is never handed out twice for one queue file: the largest, removed, is not given again after a restart, and a journal of before the next id was kept goes on past its stored ids', async () => {
    const file = join(dir(), '.rdl-queue');
    const first = createQueue({ file, paused: true });
    const ids = [0, 1, 2].map(
      (n) => first.add({ url: server.url(`/q${n}.bin`), target: join(dir(), `q${n}.bin`) }).id,
    );
    await first.ready;
    await first.flushed();
    first.remove(ids[2]!);
    await first.close();
    const second = createQueue({ file, paused: true });
    await second.ready;
    expect(second.items().map((item) => item.id)).toEqual(['1', '2']);
    expect(second.add({ url: server.url('/q2.bin'), target: join(dir(), 'again.bin') }).id).toBe('4');
    await second.close();
    // A journal written before: no next-id line.
    const old = (await readFile(file, 'utf8'))
      .split('\n')
      .filter((line) => !line.startsWith('{"i":"next-id"'));
    await writeFile(file, old.join('\n'));
    const third = createQueue({ file, paused: true });
    const notices: unknown[] = [];
    third.on('notice', (event) => notices.push(event));
    await third.ready;
    expect(third.items().map((item) => item.id)).toEqual(['1', '2', '4']);
    expect(third.add({ url: server.url('/q2.bin'), target: join(dir(), 'more.bin') }).id).toBe('5');
    await third.close();
    expect(notices).toEqual([]);
  });

  it.each([
    ['null', null, 'invalid options: must be an object, not null'],
    ['a number', 5, 'invalid options: must be an object, not number'],
    [
      'a getter that throws',
      {
        get file(): string {
          throw new Error('g');
        },
      },
      'invalid options: cannot be read: g',
    ],
    ["paused: 'yes'", { paused: 'yes' }, 'invalid paused: must be true or false'],
    ['restore: 5', { restore: 5 }, 'invalid restore: must be a function'],
  ])(
    'R30: options of %s throw ERR_INVALID_INPUT naming the option, never a raw TypeError',
    (_name, options, message) => {
      expect(() => createQueue(options as never)).toThrow(
        expect.objectContaining({ name: 'DownloadError', code: 'ERR_INVALID_INPUT', message }),
      );
    },
  );

  it('R45, R30: a file given by a getter of a class, or by a prototype, is the journal all the same, never a queue kept in memory unsaid', async () => {
    class Settings {
      readonly paused = true;
      constructor(private readonly folder: string) {}
      get file(): string {
        return join(this.folder, 'by-getter.rdl-queue');
      }
    }
    const inherited: unknown = Object.create({ file: join(dir(), 'by-prototype.rdl-queue'), paused: true });
    for (const options of [new Settings(dir()), inherited]) {
      const queue = createQueue(options as never);
      queue.add({ url: server.url('/never.bin'), target: join(dir(), 'never.bin') });
      await queue.flushed();
      await queue.close();
    }
    expect((await listDir(dir())).filter((name) => name.endsWith('.rdl-queue')).sort()).toEqual([
      'by-getter.rdl-queue',
      'by-prototype.rdl-queue',
    ]);
  });
});
