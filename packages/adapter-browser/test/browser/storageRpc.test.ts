import type { StoragePort } from '@rdl/core';
import { describe, expect, it } from 'vitest';
import { RemoteStorage, serveStorage } from '../../src/worker/storageRpc.js';
import { uniqueFolder } from './opfsFiles.js';

const storageWorker = () =>
  new Worker(new URL('../../src/worker/storageWorker.ts', import.meta.url), { type: 'module' });

/** An `IoError` whose message is one line matching `pattern`. */
const ioErrorMatching = (pattern: RegExp) => ({
  _tag: 'Left',
  left: { _tag: 'IoError', message: expect.stringMatching(new RegExp(`^(?:${pattern.source})[^\\n]*$`)) },
});

describe('RemoteStorage when the storage worker dies (R29)', () => {
  it('R29: a call in flight when the worker is terminated resolves an IoError, and so does every later call', async () => {
    const worker = storageWorker();
    const storage = new RemoteStorage(worker);
    const target = `${uniqueFolder('rpc')}/a.bin`;
    // One answer first: the worker is then known to live, and watched.
    expect(await storage.targetSize(target)()).toEqual({ _tag: 'Right', right: null });
    const inFlight = storage.open(target)();
    // In the same task: the worker's answer, if any, is dropped with it (HTML: terminate empties the port's queue).
    worker.terminate();
    expect(await inFlight).toEqual(ioErrorMatching(/the storage worker ended/));
    expect(await storage.remove(target)()).toEqual(ioErrorMatching(/the storage worker ended/));
  });

  it('R29: a worker whose script fails: the calls waiting on it resolve an IoError naming the error', async () => {
    const failing = URL.createObjectURL(
      new Blob(['throw new Error("no storage here")'], { type: 'text/javascript' }),
    );
    const storage = new RemoteStorage(new Worker(failing));
    expect(await storage.targetSize('a.bin')()).toEqual(
      ioErrorMatching(/the storage worker failed: .*no storage here/),
    );
    URL.revokeObjectURL(failing);
  });

  it('R29: a served call that throws is answered with an IoError, not left without an answer', async () => {
    const channel = new MessageChannel();
    const broken = {
      targetSize: () => () => Promise.reject(new Error('disk gone\nat somewhere')),
    } as unknown as StoragePort;
    serveStorage(channel.port1, broken);
    const storage = new RemoteStorage(channel.port2);
    channel.port1.start();
    channel.port2.start();
    expect(await storage.targetSize('a.bin')()).toEqual(
      ioErrorMatching(/the storage call targetSize failed: disk gone/),
    );
    channel.port1.close();
  });
});
