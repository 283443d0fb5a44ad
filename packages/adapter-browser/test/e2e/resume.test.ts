import { committedPrefix, decodeCheckpoint } from '@rdl/core/rules';
import { describe, expect, it } from 'vitest';
import { patternBytes } from '../../demo/patternBytes.js';
import { DemoTab, MiB, useDemo } from './demoHarness.js';

let seed = 100;
const run = useDemo();

/** New bytes for a file, another pattern each call. */
const nextContent = (size = 16 * MiB): Uint8Array => {
  seed += 1;
  return patternBytes(size, seed);
};

/** Puts a new 16 MiB file on the server; returns its name and SHA-256. */
const serve = (size = 16 * MiB): { name: string; sha256: string } => {
  const content = nextContent(size);
  const name = `file-${seed}.bin`;
  return { name, sha256: run.demo.files.setFile(name, content) };
};

/** Opens the demo on `name`: cross-origin by default, frequent checkpoints, small write buffer. */
const openTab = (name: string, origin = run.demo.files.origin) =>
  DemoTab.open(run.demo, run.context, {
    url: `${origin}/files/${name}`,
    target: name,
    checkpointIntervalMs: '50',
    writeBufferBytes: String(64 * 1024),
  });

/** Slows the server down so a download is still running when a test acts, and holds it at `holdAt`. */
const throttle = (holdAt: number | null) => {
  Object.assign(run.demo.files.faults, { bytesPerTick: 64 * 1024, tickMs: 5, holdAt });
};

const dataRequests = (name: string) =>
  run.demo.files.requests.filter((r) => r.method === 'GET' && r.path === `/files/${name}`);

/** Whether a data request resumes: a Range that does not start at byte 0. */
const resumes = (request: { readonly range: string | null }): boolean =>
  request.range !== null && request.range !== 'bytes=0-';

/**
 * The opening most tests share: a new file served and held at `holdAt`, a tab started on it, and at least
 * `atLeast` bytes checkpointed. Resolves the file, the tab and the bytes checkpointed by then.
 */
const startUntilCheckpointed = async (holdAt: number, atLeast: number) => {
  const file = serve();
  throttle(holdAt);
  const tab = await openTab(file.name);
  await tab.click('Start');
  const checkpointed = Number(await tab.waitFor('checkpointed', `Number(v) >= ${atLeast}`));
  return { file, tab, checkpointed };
};

/** Waits until the download in `tab` ends verified; resolves the SHA-256 the page shows. */
const finalSha256 = (tab: DemoTab): Promise<string> => tab.waitFor('sha256', 'v.length === 64');

/** Pauses the download in `tab` and waits until it is paused. */
const pause = async (tab: DemoTab): Promise<void> => {
  await tab.click('Pause');
  await tab.waitForState('paused');
};

describe('the demo page in headless Chromium', () => {
  it('R6: a cross-origin download sends only the CORS-safelisted Range and compares validators itself', async () => {
    const file = serve();
    // One cut at 4 MiB forces a resume on the cross-origin URL.
    Object.assign(run.demo.files.faults, { cutTimes: 1, cutAfterBytes: 4 * MiB });
    const tab = await openTab(file.name);
    await tab.click('Start');
    expect(await finalSha256(tab)).toBe(file.sha256);
    const gets = dataRequests(file.name);
    const resumed = gets.filter(resumes);
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    expect(resumed[0]?.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(gets.every((r) => r.ifRange === null && r.ifMatch === null)).toBe(true);
    expect(run.demo.files.requests.some((r) => r.method === 'OPTIONS')).toBe(false);
    expect(await tab.field('restarts')).toBe('none');
  });

  it('R6: a same-origin download resumes with Range and If-Range', async () => {
    const file = serve();
    Object.assign(run.demo.files.faults, { cutTimes: 1, cutAfterBytes: 4 * MiB });
    const tab = await openTab(file.name, run.demo.pageOrigin);
    await tab.click('Start');
    expect(await finalSha256(tab)).toBe(file.sha256);
    const resumed = dataRequests(file.name).filter(resumes);
    expect(resumed[0]?.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(resumed[0]?.ifRange).toMatch(/^"/);
  });

  it('R25, R26: the network taken away mid-download and given back: it goes on from its bytes', async () => {
    const { file, tab } = await startUntilCheckpointed(6 * MiB, 4 * MiB);
    await run.context.setOffline(true);
    // Going offline does not end a response already streaming; a network that goes away does: cut it.
    run.demo.files.dropConnections();
    await tab.waitFor('state', `v === 'waiting' || v === 'paused'`);
    const before = dataRequests(file.name).length;
    run.demo.files.release();
    await run.context.setOffline(false);
    expect(await finalSha256(tab)).toBe(file.sha256);
    const after = dataRequests(file.name).slice(before);
    expect(after.length).toBeGreaterThanOrEqual(1);
    const offset = Number(/^bytes=(\d+)-$/.exec(after[0]?.range ?? '')?.[1]);
    expect(offset).toBeGreaterThanOrEqual(4 * MiB);
    expect(await tab.field('restarts')).toBe('none');
  });

  it('R19, R20, R21: reloaded at about 30 %, the page shows what OPFS holds; Resume goes on from it by a Range, SHA-256 matches', async () => {
    const size = 16 * MiB;
    const { file, tab } = await startUntilCheckpointed(5 * MiB, 4 * MiB);
    await tab.waitForEnabled(['Pause', 'Cancel']);
    await tab.reload();
    const left = await tab.leftovers(file.name);
    expect(left.final).toBeNull();
    const checkpoint = decodeCheckpoint(left.checkpoint ?? '');
    if (checkpoint._tag === 'Left') throw new Error(`no checkpoint after the reload: ${checkpoint.left}`);
    const saved = committedPrefix(checkpoint.right);
    expect(left.part).toBeGreaterThanOrEqual(saved);
    const percent = Math.floor((saved / size) * 100);
    expect(percent).toBeGreaterThanOrEqual(25);
    expect(percent).toBeLessThanOrEqual(31);
    // What a person sees: the bytes kept, of the total, and the percentage; Resume and Cancel, nothing else.
    expect(await tab.field('state')).toBe('saved');
    expect(await tab.field('bytes')).toBe(`${saved} of ${size}`);
    expect(await tab.field('checkpointed')).toBe(String(saved));
    expect(await tab.percent()).toBe(`${percent} %`);
    await tab.waitForEnabled(['Resume', 'Cancel']);
    const before = dataRequests(file.name).length;
    run.demo.files.release();
    await tab.click('Resume');
    expect(await finalSha256(tab)).toBe(file.sha256);
    // Resumed, not restarted: the first data request after the reload asks for the bytes from the saved offset.
    expect(dataRequests(file.name).slice(before)[0]?.range).toBe(`bytes=${saved}-`);
    expect(await tab.number('resumed-from')).toBe(saved);
    expect(await tab.field('restarts')).toBe('none');
    expect((await tab.leftovers(file.name)).part).toBeNull();
    await tab.waitForEnabled(['Start', 'Save file']);
  });

  it('R24: after a reload, Cancel deletes what OPFS holds, and only Start is left', async () => {
    const { file, tab } = await startUntilCheckpointed(8 * MiB, 2 * MiB);
    await tab.reload();
    await tab.waitForEnabled(['Resume', 'Cancel']);
    await tab.click('Cancel');
    await tab.waitForState('cancelled');
    expect(await tab.leftovers(file.name)).toEqual({ part: null, final: null, checkpoint: null });
    await tab.waitForEnabled(['Start']);
  });

  it('R11, R13: the file changed on the server between two runs: restart from 0 against the new version', async () => {
    const { file, tab } = await startUntilCheckpointed(8 * MiB, 2 * MiB);
    await tab.reload();
    const changed = run.demo.files.setFile(file.name, nextContent());
    run.demo.files.release();
    await tab.click('Resume');
    expect(await finalSha256(tab)).toBe(changed);
    expect(await tab.field('restarts')).toContain('RESOURCE_CHANGED');
  });

  it('R6, R13: cross-origin, the file changes between probe and resume: the 206 has another ETag, so it restarts', async () => {
    const { file, tab } = await startUntilCheckpointed(6 * MiB, 2 * MiB);
    // The file changes after the probe; then the connection drops, and the retry's `Range: bytes=N-` (no If-Range:
    // CORS, and no new probe: one a run) gets a 206 of the new version, which only core's comparison of the ETag
    // can catch.
    const changed = run.demo.files.setFile(file.name, nextContent());
    const before = dataRequests(file.name).length;
    run.demo.files.dropConnections();
    run.demo.files.release();
    expect(await finalSha256(tab)).toBe(changed);
    expect(await tab.field('restarts')).toContain('RESOURCE_CHANGED');
    const resumed = dataRequests(file.name).slice(before).find(resumes);
    expect(resumed?.status).toBe(206);
    expect(resumed?.ifRange).toBeNull();
    expect(run.demo.files.requests.some((r) => r.method === 'OPTIONS')).toBe(false);
  });

  it('R7: a 200 answer to a resume truncates the part file and restarts from 0', async () => {
    const { file, tab } = await startUntilCheckpointed(8 * MiB, 2 * MiB);
    await pause(tab);
    run.demo.files.faults.ignoreRangeTimes = 1;
    run.demo.files.release();
    await tab.click('Resume');
    expect(await finalSha256(tab)).toBe(file.sha256);
    expect(await tab.field('restarts')).toContain('RANGE_IGNORED');
    expect((await tab.leftovers(file.name)).final).toBe(16 * MiB);
  });

  it('R24: pause stops the network and keeps a checkpoint; resume goes on from it', async () => {
    const { file, tab } = await startUntilCheckpointed(8 * MiB, 2 * MiB);
    await pause(tab);
    const paused = dataRequests(file.name).at(-1);
    expect(paused?.closedEarly).toBe(true);
    const left = await tab.leftovers(file.name);
    expect(left.checkpoint).not.toBeNull();
    expect(left.part).toBeGreaterThan(0);
    const count = dataRequests(file.name).length;
    run.demo.files.release();
    await tab.click('Resume');
    expect(await finalSha256(tab)).toBe(file.sha256);
    const resumed = dataRequests(file.name).slice(count);
    expect(resumed[0]?.range).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it('R24: cancel removes the OPFS part file and the checkpoint', async () => {
    const { file, tab } = await startUntilCheckpointed(8 * MiB, 2 * MiB);
    await tab.click('Cancel');
    await tab.waitForState('cancelled');
    expect(await tab.field('error')).toContain('ERR_CANCELLED');
    expect(await tab.leftovers(file.name)).toEqual({ part: null, final: null, checkpoint: null });
  });

  it('R23: a second tab on the same target fails with TargetBusy; the first goes on', async () => {
    const { file, tab: first } = await startUntilCheckpointed(6 * MiB, MiB);
    // The second tab sees what the first has saved, and offers to resume it.
    const second = await openTab(file.name);
    await second.click('Resume');
    expect(await second.waitFor('error', `v !== ''`)).toContain('ERR_TARGET_BUSY');
    run.demo.files.release();
    expect(await finalSha256(first)).toBe(file.sha256);
  });
});
