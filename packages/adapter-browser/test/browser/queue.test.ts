import { type DownloadOptions, isDownloadError, type QueueEvent } from '@rdl/core';
import { describe, expect, inject, it } from 'vitest';
import './provided.js';
import { patternBytes } from '../../demo/patternBytes.js';
import { createQueue, getDownloadedFile, removeDownloadedFile } from '../../src/index.js';
import { uniqueFolder } from './opfsFiles.js';

const files = inject('filesOrigin');
const SMALL = patternBytes(1048576 + 17, 7);

const deleteDatabase = (name: string) =>
  new Promise<void>((done) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => done();
  });

describe('createQueue in Chromium (the queue in a worker, kept in IndexedDB)', () => {
  it('R45: runs every item in the worker to a byte-exact file, and a queue over the same database lists them done', async () => {
    const databaseName = uniqueFolder('rdl-queue-unit');
    const folder = uniqueFolder('queued');
    const queue = createQueue({ databaseName, concurrency: 2 });
    const events: QueueEvent['type'][] = [];
    queue.subscribe((event) => events.push(event.type));
    await queue.ready;
    const targets = ['a.bin', 'b.bin', 'c.bin'].map((name) => `${folder}-${name}`);
    const ids = await Promise.all(
      targets.map((target) => queue.add({ url: `${files}/files/small.bin`, target })),
    );
    expect(new Set(ids).size).toBe(3);
    const summary = await queue.idle();
    expect(summary).toMatchObject({ total: 3, done: 3 });
    expect(queue.items().map((item) => [item.id, item.state, item.bytes])).toEqual(
      ids.map((id) => [id, 'done', SMALL.length]),
    );
    expect(events.filter((type) => type === 'done')).toHaveLength(3);
    for (const target of targets) {
      expect(new Uint8Array(await (await getDownloadedFile(target)).arrayBuffer())).toEqual(SMALL);
    }
    await queue.flushed();
    queue.close();

    const next = createQueue({ databaseName, concurrency: 2 });
    await next.ready;
    expect(next.items().map((item) => [item.id, item.target, item.state])).toEqual(
      ids.map((id, index) => [id, targets[index], 'done']),
    );
    // Several forgotten in one call, through the worker: their files kept, gone from the queue and its database.
    next.forget([ids[0]!, ids[2]!]);
    await next.flushed();
    expect(next.items().map((item) => item.id)).toEqual([ids[1]]);
    next.close();
    const last = createQueue({ databaseName, concurrency: 2 });
    await last.ready;
    expect(last.items().map((item) => item.id)).toEqual([ids[1]]);
    last.close();
    for (const target of targets) {
      expect(new Uint8Array(await (await getDownloadedFile(target)).arrayBuffer())).toEqual(SMALL);
    }
    for (const target of targets) await removeDownloadedFile(target);
    await deleteDatabase(databaseName);
  });

  it('R45: R23: a second queue over the same database (another tab) says it is busy and waits until the first is closed', async () => {
    const databaseName = uniqueFolder('rdl-queue-busy');
    const first = createQueue({ databaseName, paused: true });
    await first.ready;
    const kept = await first.add({ url: `${files}/files/small.bin`, target: 'kept.bin' });
    await first.flushed();
    const second = createQueue({ databaseName, paused: true });
    const busy = new Promise<string>((resolve) => second.on('notice', (event) => resolve(event.code)));
    // Asked before it owns the database: answered once it does, after the items of the first are loaded.
    const added = second.add({ url: `${files}/files/small.bin`, target: 'later.bin' });
    expect(await busy).toBe('QUEUE_BUSY');
    first.close();
    await second.ready;
    const id = await added;
    expect(second.items().map((item) => [item.id, item.target])).toEqual([
      [kept, 'kept.bin'],
      [id, 'later.bin'],
    ]);
    second.close();
    await deleteDatabase(databaseName);
  });

  it('R30: bad queue options (null or unreadable ones too) throw at once; refreshUrl, signal and what structured clone cannot copy are refused; options no object fail their item', async () => {
    expect(() => createQueue({ concurrency: 0 })).toThrow(/concurrency/);
    // Options that are no object, or cannot be read, are core's refusal too, never a raw TypeError.
    const unread = [
      null,
      new Proxy(
        {},
        {
          ownKeys: () => {
            throw new Error('no keys');
          },
        },
      ),
    ];
    for (const options of unread) {
      const refusal = (() => {
        try {
          createQueue(options as never);
        } catch (error) {
          return error;
        }
      })();
      expect(isDownloadError(refusal) && [refusal.code, refusal.failure]).toEqual([
        'ERR_INVALID_INPUT',
        {
          _tag: 'InvalidInput',
          field: 'options',
          message: expect.stringMatching(/^(must be|cannot be read)/),
        },
      ]);
    }
    const queue = createQueue({ databaseName: uniqueFolder('rdl-queue-refused'), paused: true });
    await queue.ready;
    const refused = await queue
      .add({ url: `${files}/files/small.bin`, target: 'x.bin', signal: new AbortController().signal })
      .catch((error: unknown) => error);
    expect(isDownloadError(refused) && refused.code).toBe('ERR_INVALID_INPUT');
    // What structured clone cannot copy, or cannot read, is refused too; options that are no object fail their item.
    // Each refusal names the field when one is to blame, as the worker's createDownload does (R30).
    const unclonable = [
      [{ url: `${files}/files/small.bin`, target: 'f.bin', onProgress: () => undefined }, 'onProgress'],
      [{ url: `${files}/files/small.bin`, target: 'h.bin', headers: new Headers() }, 'headers'],
      [new Proxy({ url: `${files}/files/small.bin`, target: 'p.bin' }, {}), 'options'],
      [
        Object.defineProperty({ url: `${files}/files/small.bin` }, 'target', {
          enumerable: true,
          get: () => {
            throw new Error('no target');
          },
        }),
        'target',
      ],
    ] as const;
    for (const [options, field] of unclonable) {
      const error = await queue.add(options as unknown as DownloadOptions).catch((e: unknown) => e);
      expect(isDownloadError(error) && [error.code, error.failure]).toEqual([
        'ERR_INVALID_INPUT',
        { _tag: 'InvalidInput', field, message: expect.stringMatching(/^cannot reach the queue worker: /) },
      ]);
    }
    expect(queue.items()).toEqual([]);
    const id = await queue.add(null as unknown as DownloadOptions);
    queue.resumeAll();
    const summary = await queue.idle();
    expect(summary).toMatchObject({ failed: 1 });
    expect(queue.items().find((item) => item.id === id)?.failure?.code).toBe('ERR_INVALID_INPUT');
    queue.close();
  });

  it('R45, R29: a queue closed before its worker is up rejects ready (ERR_ABORTED), never a hang; calls after close are refused, not a storage error', async () => {
    const codeOf = (error: unknown) => (isDownloadError(error) ? error.code : String(error));
    for (const delayMs of [-1, 0, 5]) {
      const databaseName = uniqueFolder('rdl-queue-early-close');
      const queue = createQueue({ databaseName });
      if (delayMs >= 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      queue.close();
      expect(await queue.ready.then(() => 'ready', codeOf)).toBe('ERR_ABORTED');
      const idle = await queue.idle().catch((error: unknown) => error);
      expect(isDownloadError(idle) && [idle.code, idle.failure]).toEqual([
        'ERR_INVALID_INPUT',
        { _tag: 'InvalidInput', field: 'queue', message: 'closed: a call after close() does nothing' },
      ]);
      expect(
        await queue.add({ url: `${files}/files/small.bin`, target: 'late.bin' }).then(() => 'added', codeOf),
      ).toBe('ERR_INVALID_INPUT');
      await deleteDatabase(databaseName);
    }
  });

  it('R45: a paused item stays paused while the others finish, and resumes to a byte-exact file', async () => {
    const databaseName = uniqueFolder('rdl-queue-unit');
    const folder = uniqueFolder('paused');
    const queue = createQueue({ databaseName, paused: true });
    await queue.ready;
    const first = await queue.add({ url: `${files}/files/small.bin`, target: `${folder}-1.bin` });
    const second = await queue.add({ url: `${files}/files/small.bin`, target: `${folder}-2.bin` });
    // In order in the worker: every item queued again and started, then the first paused (running or not yet).
    queue.resumeAll();
    queue.pause(first);
    const summary = await queue.idle();
    expect(summary).toMatchObject({ done: 1, paused: 1 });
    expect(queue.items().find((item) => item.id === second)?.state).toBe('done');
    queue.resume(first);
    expect(await queue.idle()).toMatchObject({ done: 2, paused: 0 });
    const bytes = new Uint8Array(await (await getDownloadedFile(`${folder}-1.bin`)).arrayBuffer());
    expect(bytes).toEqual(SMALL);
    queue.close();
    for (const name of ['1', '2']) await removeDownloadedFile(`${folder}-${name}.bin`);
    await deleteDatabase(databaseName);
  });
});
