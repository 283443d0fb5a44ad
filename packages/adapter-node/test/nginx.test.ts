import { stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Checkpoint } from '@rdl/core';
import { createAbortHandle } from '@rdl/core/adapter';
import {
  buildDataRequest,
  CHECKPOINT_VERSION,
  classifyResponse,
  coveredBytes,
  extractValidators,
} from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { NodeHttp } from '../src/NodeHttp.js';
import { checkpointWhen } from './support/checkpointFile.js';
import { bytesOf, runRdl, spawnRdl } from './support/cliProcess.js';
import { useNginxSite } from './support/nginxSite.js';
import { sha256File, writeRandomFile } from './support/randomFile.js';
import { listDir } from './support/tempDir.js';

const MiB = 1024 * 1024;
/** 40 MiB at 10 MB/s: about 4 s, long enough to kill the command mid-way. */
const size = 40 * MiB;

const site = useNginxSite('nginx', '10m');
const { folder } = site;

/** Replaces `name` on the server with new bytes, and a new mtime so that nginx's ETag changes whatever the clock. */
const replaceFile = async (name: string, bytes: number): Promise<string> => {
  const path = join(site.root, name);
  const before = await stat(path);
  const sha = await writeRandomFile(path, bytes);
  const later = new Date(before.mtimeMs + 10_000);
  await utimes(path, later, later);
  return sha;
};

/**
 * The command on one connection: these tests prove the single stream's resume (`Range: bytes=N-` with `If-Range`);
 * the segmented runs have theirs in nginx.segments.test.ts.
 */
const SINGLE = ['-x', '1'];

/**
 * Runs `rdl --json` on the slow URL and SIGKILLs it once `fraction` of the file is reported written. The runs after
 * it need no pace: nginx serves them at full speed.
 */
const killMidway = async (url: string, dir: string, fraction: number, extra: string[] = []) => {
  const run = spawnRdl([url, '-o', 'out.bin', '--json', ...SINGLE, ...extra], dir);
  const reached = await run.waitFor((e) => bytesOf(e) >= size * fraction);
  expect(reached, 'the download reached the kill point').not.toBeNull();
  // And a checkpoint counts some of it: the first is saved a second in, and on a loaded machine the kill point came
  // before it once (the next run then started afresh, with nothing to resume or to find changed).
  const saved = await checkpointWhen(
    join(dir, 'out.bin.rdl.json'),
    (checkpoint) => coveredBytes(checkpoint.ranges) > 0,
  );
  expect(saved, 'a checkpoint counting some bytes').not.toBeNull();
  run.child.kill('SIGKILL');
  const exit = await run.exit;
  expect(exit.signal).toBe('SIGKILL');
  await site.server.setPaced(false);
  return exit;
};

describe('rdl against nginx on 127.0.0.1', () => {
  it('R20, R21, R26, R6: SIGKILL mid-way, the same command again resumes with Range + If-Range; sha256 equal', async () => {
    const sha = await writeRandomFile(join(site.root, 'kill.bin'), size);
    const url = `${site.server.origin}/slow/kill.bin`;
    const dir = await folder();

    await killMidway(url, dir, 0.4);
    expect(await listDir(dir)).toContain('out.bin.part');
    expect(await listDir(dir)).not.toContain('out.bin');

    const second = await runRdl([url, '-o', 'out.bin', '--json', ...SINGLE], dir);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const start = second.events.find((e) => e.event === 'start');
    expect(Number(start?.resumedFrom)).toBeGreaterThan(0);
    expect(second.events.some((e) => e.event === 'restart')).toBe(false);
    const done = second.events.at(-1);
    expect(done).toEqual({ event: 'done', bytes: size, sha256: sha, checks: [] });
    expect(await sha256File(join(dir, 'out.bin'))).toBe(sha);
    expect(await listDir(dir)).toEqual(['out.bin']);

    const etag = (await fetch(url, { method: 'HEAD' })).headers.get('etag');
    const resumed = (await site.server.accessLog()).filter((l) => l.startsWith('GET /slow/kill.bin 206'));
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toContain(`range=bytes=${String(start?.resumedFrom)}- if-range=${etag} `);
  });

  it('R11, R13: the file replaced between runs: the next run restarts from 0 and ends with the new file', async () => {
    await writeRandomFile(join(site.root, 'change.bin'), size);
    const url = `${site.server.origin}/slow/change.bin`;
    const dir = await folder();

    await killMidway(url, dir, 0.3);
    const newSha = await replaceFile('change.bin', size);

    const second = await runRdl([url, '-o', 'out.bin', '--json', ...SINGLE], dir);
    expect(second.code).toBe(0);
    expect(second.events).toContainEqual({ event: 'restart', reason: 'RESOURCE_CHANGED' });
    expect(second.events.at(-1)).toEqual({ event: 'done', bytes: size, sha256: newSha, checks: [] });
    expect(await sha256File(join(dir, 'out.bin'))).toBe(newSha);
    expect(await listDir(dir)).toEqual(['out.bin']);
  });

  it('R11, R29: the file replaced between runs with --on-change fail: ERR_RESOURCE_CHANGED, one line, exit 1', async () => {
    await writeRandomFile(join(site.root, 'fail.bin'), size);
    const url = `${site.server.origin}/slow/fail.bin`;
    const dir = await folder();

    await killMidway(url, dir, 0.3, ['--on-change', 'fail']);
    await replaceFile('fail.bin', size + 1);

    const second = await runRdl([url, '-o', 'out.bin', '--json', '--on-change', 'fail', ...SINGLE], dir);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^rdl: [^\n]+ \(ERR_RESOURCE_CHANGED\)\n$/);
    expect(second.events.at(-1)).toMatchObject({ event: 'error', code: 'ERR_RESOURCE_CHANGED' });
    expect(second.events.some((e) => e.event === 'done')).toBe(false);
    expect(await listDir(dir)).not.toContain('out.bin');
  });

  it('R6, R11: nginx answers 412 to an If-Match with the old ETag; core classifies it as a change', async () => {
    await writeRandomFile(join(site.root, 'match.bin'), 4 * MiB);
    const url = `${site.server.origin}/match.bin`;
    const http = new NodeHttp();
    const head = async () => {
      const r = await http.request({
        method: 'HEAD',
        url,
        headers: {},
        signal: createAbortHandle().signal,
      })();
      if (E.isLeft(r)) throw new Error(r.left._tag);
      return r.right;
    };
    const before = await head();
    const checkpoint: Checkpoint = {
      version: CHECKPOINT_VERSION,
      url,
      validators: extractValidators(before.headers),
      totalLength: 4 * MiB,
      ranges: [[0, MiB]],
    };
    const segment = buildDataRequest({
      offset: MiB,
      lastByte: 2 * MiB - 1,
      checkpoint,
      conditional: true,
      segment: true,
      extraHeaders: {},
    });
    expect(segment.headers['if-match']).toBe(before.headers.etag);
    const get = async () => {
      const r = await http.request({
        method: 'GET',
        url,
        headers: segment.headers,
        signal: createAbortHandle().signal,
      })();
      if (E.isLeft(r)) throw new Error(r.left._tag);
      for await (const _ of r.right.body) {
        // drain, so the keep-alive socket is reusable
      }
      return r.right;
    };
    const policy = { onChange: 'restart', nowMs: Date.now(), refreshable: false } as const;

    const same = await get();
    expect(same.status).toBe(206);
    expect(classifyResponse(segment.range, same, checkpoint, policy)).toMatchObject({
      _tag: 'Append',
      start: MiB,
      end: 2 * MiB,
    });

    await replaceFile('match.bin', 4 * MiB);
    const changed = await get();
    expect(changed.status).toBe(412);
    expect(classifyResponse(segment.range, changed, checkpoint, policy)).toEqual({
      _tag: 'Restart',
      reason: 'RESOURCE_CHANGED',
    });
    expect(
      classifyResponse(segment.range, changed, checkpoint, { ...policy, onChange: 'fail' }),
    ).toMatchObject({
      _tag: 'Fail',
      failure: { _tag: 'ResourceChanged' },
    });
    http.close();
  });
});
