import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliEnvironment, runCli, type StopSignal } from '../src/cli/main.js';
import { CountingServer } from './support/countingServer.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { fileSha256 } from './support/harness.js';
import { useTempDir } from './support/tempDir.js';
import { runInTerminal } from './support/terminal.js';

// The command draws its bars only on a terminal (R28): these tests run it under a pseudo-terminal and assert what a
// terminal of that width shows (`runInTerminal`).

// 16 KiB every 50 ms: 320 KiB/s a connection, with gaps long enough (≥ 20 ms) for rdl to see it paced.
let server: CountingServer;
beforeAll(async () => {
  server = await CountingServer.start({ chunkBytes: 16 * 1024, everyMs: 50 });
});
afterAll(() => server.close());
const dir = useTempDir('rdl-cli-terminal-');

const KiB = 1024;
/** The single-file bar: 10 to 30 cells of shades_classic (what the width leaves), then its numbers. */
const BAR =
  /^[█░]{10,30} +(\d+\.\d) % \| +[\d.]+ \S+ \/ [\d.]+ \S+ \| +[\d.]+ \S+\/s( \| (\d+) connections)?( \| ETA \S+ *)?$/;
/** A list's line of one running download: its name (24 columns), 20 cells, its numbers. */
const DOWNLOAD = /^(.{24}) [█░]{20} +(\d+\.\d) % \| .+ \/ .+ \| .+\/s$/;
const TOTAL = /^total (\d+) \/ (\d+) files \| \d+(\.\d)? (B|KiB|MiB)$/;

describe('rdl on a terminal', () => {
  it('R43, R28: one file over several connections: the bar counts them, never passes 100 % nor goes back, and ends at 100 %', async () => {
    const body = generateBytes(1536 * KiB, 11);
    server.serve('/big.bin', body);
    server.takeMostBodiesAtOnce();
    const run = await runInTerminal(
      [server.url('/big.bin'), '-o', 'big.bin', '--max-connections', '4', '--min-split-size', '128K'],
      dir(),
    );
    expect(run.code, run.screen.lines().join('\n')).toBe(0);
    expect(await fileSha256(join(dir(), 'big.bin'))).toBe(sha256(body));
    expect(server.takeMostBodiesAtOnce()).toBeGreaterThan(1);
    expect(run.screen.strays).toEqual([]);

    const seen = run.screen.seen();
    const bars = seen.filter((line) => BAR.test(line));
    // Every line ever shown is a whole bar or a message: nothing left over from a longer line before it.
    expect(seen.filter((line) => !BAR.test(line) && !line.startsWith('rdl: '))).toEqual([]);
    const percents = bars.map((line) => Number(BAR.exec(line)![1]));
    expect(percents.length).toBeGreaterThan(2);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(Math.max(...percents)).toBe(100);
    expect(bars.at(-1)).toMatch(/^█+ 100\.0 % \| +1\.5 MiB \/ 1\.5 MiB \| /);
    const counts = bars.map((line) => Number(BAR.exec(line)![3] ?? 1));
    expect(Math.max(...counts)).toBeGreaterThan(1);
    expect(Math.max(...counts)).toBeLessThanOrEqual(4);

    // Once done, the bar is gone: the start and the saved line are what stays.
    expect(run.screen.lines()).toEqual([
      `rdl: downloading ${server.url('/big.bin')} to ${join(dir(), 'big.bin')} (1.5 MiB)`,
      `rdl: saved ${join(dir(), 'big.bin')} (1.5 MiB)`,
    ]);
  });

  it('R43: on an 80-column terminal the bar still shows the number of connections', async () => {
    server.serve('/narrow.bin', generateBytes(1536 * KiB, 12));
    server.takeMostBodiesAtOnce();
    const args = [server.url('/narrow.bin'), '-o', 'narrow.bin', '--max-connections', '4'];
    const run = await runInTerminal([...args, '--min-split-size', '128K'], dir(), 80);
    expect(run.code).toBe(0);
    expect(server.takeMostBodiesAtOnce()).toBeGreaterThan(1);
    const bars = run.screen.seen().filter((line) => /^[█░]{10,30} /.test(line));
    expect(bars.length).toBeGreaterThan(2);
    // Wrapping is off while the bar is drawn: each character past the last column would be written over it, so a
    // line too long reads `ETA 0ss` and loses the count. The bar leaves the last column free, and the ETA goes
    // before the sizes, the count never.
    expect(bars.filter((line) => [...line].length > 79)).toEqual([]);
    expect(bars.filter((line) => !BAR.test(line))).toEqual([]);
    expect(
      bars.filter((line) => / \| \d+ connections( |$)/.test(line)),
      bars.join('\n'),
    ).not.toEqual([]);
  });

  it('R45: a list with -j 2: a line a running download, never more than two, and the total line counting files', async () => {
    const names = ['a.bin', 'b.bin', 'c.bin', 'd.bin'];
    names.forEach((name, i) => {
      server.serve(`/list/${name}`, generateBytes(320 * KiB, 20 + i));
    });
    server.takeMostBodiesAtOnce();
    const run = await runInTerminal([...names.map((n) => server.url(`/list/${n}`)), '-j', '2'], dir());
    expect(run.code, run.screen.lines().join('\n')).toBe(0);
    expect(server.takeMostBodiesAtOnce()).toBe(2);
    expect(run.screen.strays).toEqual([]);

    const seen = run.screen.seen();
    expect(seen.filter((l) => !DOWNLOAD.test(l) && !TOTAL.test(l) && !l.startsWith('rdl: '))).toEqual([]);
    const running = (frame: readonly string[]): string[] =>
      frame.flatMap((line) => DOWNLOAD.exec(line)?.[1]?.trim() ?? []);
    const frames = run.screen.frames;
    expect(Math.max(...frames.map((frame) => new Set(running(frame)).size))).toBe(2);
    // Each file had its own line, and some frame showed two of them with the total line.
    expect(new Set(frames.flatMap(running))).toEqual(new Set(names));
    expect(
      frames.some((frame) => running(frame).length === 2 && frame.filter((l) => TOTAL.test(l)).length === 1),
    ).toBe(true);
    const totals = seen.flatMap((line) => {
      const match = TOTAL.exec(line);
      return match === null ? [] : [Number(match[1])];
    });
    expect(totals[0]).toBe(0);
    expect(totals).toEqual([...totals].sort((a, b) => a - b));
    expect(seen.filter((line) => TOTAL.test(line)).every((line) => line.includes(' / 4 files'))).toBe(true);
    // The bars are gone at the end; the summary is the last line.
    expect(run.screen.lines().filter((line) => !line.startsWith('rdl: '))).toEqual([]);
    expect(run.screen.lines().at(-1)).toBe('rdl: 4 done, of 4');
  });

  it('R45: a list on a terminal keeps the saved line of every file above the summary', async () => {
    const names = ['e.bin', 'f.bin', 'g.bin'];
    names.forEach((name, i) => {
      server.serve(`/saved/${name}`, generateBytes(160 * KiB, 30 + i));
    });
    const run = await runInTerminal([...names.map((n) => server.url(`/saved/${n}`)), '-j', '2'], dir());
    expect(run.code).toBe(0);
    expect(run.screen.strays).toEqual([]);
    // Off a terminal each file has its saved line (cli.list.test.ts); on one, the last was dropped with the bars.
    expect([...run.screen.lines()].sort()).toEqual(
      [...names.map((name) => `rdl: saved ${join(dir(), name)} (160.0 KiB)`), 'rdl: 3 done, of 3'].sort(),
    );
  });

  it("R45: on a narrow terminal a list's saved line wider than it wraps, whole, instead of losing its end", async () => {
    const names = ['a-file-whose-name-is-long-enough-to-pass-the-edge.bin', 'b.bin'];
    names.forEach((name, i) => {
      server.serve(`/wide/${name}`, generateBytes(160 * KiB, 60 + i));
    });
    const columns = 60;
    const run = await runInTerminal(
      [...names.map((n) => server.url(`/wide/${n}`)), '-j', '2'],
      dir(),
      columns,
    );
    expect(run.code, run.screen.lines().join('\n')).toBe(0);
    expect(run.screen.strays).toEqual([]);
    const saved = `rdl: saved ${join(dir(), names[0]!)} (160.0 KiB)`;
    expect(saved.length).toBeGreaterThan(columns);
    // Its rows, each as wide as the terminal but the last, read back as the whole line.
    const rows = run.screen.lines();
    const first = rows.findIndex((row) => row.startsWith(`rdl: saved ${join(dir(), 'a-')}`));
    expect(first, rows.join('\n')).toBeGreaterThanOrEqual(0);
    const wrapped = Math.ceil(saved.length / columns);
    const joined = rows
      .slice(first, first + wrapped)
      .map((row, i) => (i < wrapped - 1 ? row.padEnd(columns) : row))
      .join('');
    expect(joined).toBe(saved);
    expect(rows.at(-1)).toBe('rdl: 2 done, of 2');
  });

  it('R24, R29: -m on a terminal: the bar is taken off, then the stop line and the hint, for one file and for a list', async () => {
    server.serve('/timed/one.bin', generateBytes(4096 * KiB, 70));
    server.serve('/timed/two.bin', generateBytes(4096 * KiB, 71));
    const one = server.url('/timed/one.bin');
    const two = server.url('/timed/two.bin');
    const stop =
      'rdl: stopped by --max-time 0.8 s; every byte is kept for the same command to go on from (ERR_MAX_TIME)';
    // Wide enough for the paused line to be one row.
    const single = await runInTerminal([one, '-o', 'one.bin', '-m', '0.8'], dir(), 200);
    expect(single.code).toBe(28);
    expect(single.screen.strays).toEqual([]);
    const lines = single.screen.lines();
    // No bar left over, nothing written over the stop line.
    expect(lines.slice(1), lines.join('\n')).toEqual([
      stop,
      expect.stringMatching(/^rdl: paused at .+ To resume, run the same command again:$/),
      `  rdl ${one} -o one.bin -m 0.8`,
    ]);

    const list = await runInTerminal([one, two, '-d', '.', '-m', '0.8'], dir(), 200);
    expect(list.code).toBe(28);
    expect(list.screen.strays).toEqual([]);
    expect(list.screen.lines(), list.screen.lines().join('\n')).toEqual([
      stop,
      'rdl: paused; every checkpoint is saved. To resume, run the same command again:',
      `  rdl ${one} ${two} -d . -m 0.8`,
    ]);
  });

  it('R38: -J and a Content-Disposition name holding OSC, BEL, CSI (U+009B) and U+202E: a visible notice, then the bar', async () => {
    const name = '%1B%5D0%3Bowned%07%C2%9B31m%E2%80%AEgnp.exe';
    server.serve('/get', generateBytes(320 * KiB, 40), {
      'content-disposition': `attachment; filename*=UTF-8''${name}`,
    });
    // Wide enough that the notice, wrapped on a narrower terminal, is one row.
    const run = await runInTerminal([server.url('/get'), '-J'], dir(), 200);
    expect(run.code, run.screen.lines().join('\n')).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the raw bytes must hold none of these
    expect(run.output).not.toMatch(/[\u0007\u009b\u202e]|\u001b\]/);
    expect(run.screen.strays).toEqual([]);
    expect(run.screen.lines()).toEqual([
      'rdl: the Content-Disposition file name "\\u001b]0;owned\\u0007\\u009b31m\\u202egnp.exe" is not used: it holds a control character',
      `rdl: downloading ${server.url('/get')} to ${join(dir(), 'get')} (320.0 KiB)`,
      `rdl: saved ${join(dir(), 'get')} (320.0 KiB)`,
    ]);
    expect(run.screen.seen().some((line) => /^█+ 100\.0 % /.test(line))).toBe(true);
  });

  it('R38: a list whose out= names hold ESC, BEL, U+009B and U+202E: each running line shows them escaped', async () => {
    server.serve('/names/one', generateBytes(320 * KiB, 50));
    server.serve('/names/two', generateBytes(320 * KiB, 51));
    const one = '\u001b]0;owned\u0007a.bin';
    const two = '\u009b2J\u202eb.bin';
    await writeFile(
      join(dir(), 'list.txt'),
      `${server.url('/names/one')}\n  out=${one}\n${server.url('/names/two')}\n  out=${two}\n`,
    );
    const run = await runInTerminal(['-i', 'list.txt', '-j', '2'], dir());
    expect(run.code, run.screen.lines().join('\n')).toBe(0);
    expect(await fileSha256(join(dir(), one))).toBe(sha256(generateBytes(320 * KiB, 50)));
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the raw bytes must hold none of these
    expect(run.output).not.toMatch(/[\u0007\u009b\u202e]|\u001b\]/);
    expect(run.screen.strays).toEqual([]);
    const shown = run.screen.seen().flatMap((line) => DOWNLOAD.exec(line)?.[1] ?? []);
    // The name column is 24 wide: the first name, 25 once escaped, loses its last letter.
    expect(new Set(shown)).toEqual(
      new Set(['\\u001b]0;owned\\u0007a.bi', '\\u009b2J\\u202eb.bin'.padEnd(24)]),
    );
  });
});

/**
 * A terminal's stream as far as the reporter and cli-progress use one; `bar` resolves once a download's bar is drawn
 * (its percent), by when the command listens to signals.
 */
const fakeTerminal = () => {
  let text = '';
  let drawn: () => void = () => undefined;
  const bar = new Promise<void>((resolve) => {
    drawn = resolve;
  });
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += chunk.toString();
      if (text.includes(' % | ')) drawn();
      done();
    },
  });
  return {
    stream: Object.assign(stream, { isTTY: true, columns: 100 }) as unknown as NodeJS.WriteStream,
    text: () => text,
    bar,
  };
};

const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';
const WRAP_OFF = '\u001b[?7l';
const WRAP_ON = '\u001b[?7h';

describe('rdl ended by a second signal', () => {
  it('R24: a second SIGTERM ends the run at once, the cursor shown and wrapping on again first, for one file and a list', async () => {
    for (const name of ['one.bin', 'two.bin']) server.serve(`/twice/${name}`, generateBytes(4096 * KiB, 90));
    const [one, two] = ['one.bin', 'two.bin'].map((name) => server.url(`/twice/${name}`));
    for (const argv of [
      [one!, '-o', 'one.bin'],
      [one!, two!],
    ]) {
      const terminal = fakeTerminal();
      let handler: (signal: StopSignal) => void = () => undefined;
      const exits: { code: number; written: string }[] = [];
      const env: CliEnvironment = {
        stdout: new Writable({ write: (_chunk, _encoding, done) => done() }),
        stderr: terminal.stream,
        cwd: dir(),
        onSignal: (listener) => {
          handler = listener;
          return () => undefined;
        },
        // What was on the terminal when the process would have ended; the run then goes on to its own end here.
        exit: ((code: number) => {
          exits.push({ code, written: terminal.text() });
        }) as CliEnvironment['exit'],
      };
      const run = runCli(argv, env);
      await terminal.bar;
      handler('SIGTERM');
      handler('SIGTERM');
      expect(
        exits.map((e) => e.code),
        argv.join(' '),
      ).toEqual([143]);
      const written = exits[0]!.written;
      expect(written.lastIndexOf(SHOW_CURSOR), argv.join(' ')).toBeGreaterThan(
        written.lastIndexOf(HIDE_CURSOR),
      );
      expect(written.lastIndexOf(WRAP_ON), argv.join(' ')).toBeGreaterThan(written.lastIndexOf(WRAP_OFF));
      expect(await run).toBe(143);
    }
  });
});
