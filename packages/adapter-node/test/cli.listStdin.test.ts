import { spawn, spawnSync } from 'node:child_process';
import { closeSync, createReadStream, openSync, readFileSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readToEnd } from '../src/cli/args.js';
import { queueFileName } from '../src/cli/runList.js';
import { rdlBin, runRdl, runRdlWithInput, spawnScript } from './support/cliProcess.js';
import { useNginxSite } from './support/nginxSite.js';
import { sha256File, writeRandomFile } from './support/randomFile.js';
import { listDir } from './support/tempDir.js';

/** `rdl -i -`: the list on the standard input, as aria2's and wget's `-i -` (issue 11), against nginx. */

const MiB = 1024 * 1024;
const shas = new Map<string, string>();
const site = useNginxSite('list-stdin', '2m', async (root) => {
  for (const name of ['a.bin', 'b.bin'])
    shas.set(name, await writeRandomFile(join(root, name), 200 * 1024 + 3));
  for (const name of ['x.bin', 'y.bin']) shas.set(name, await writeRandomFile(join(root, name), 8 * MiB));
});
const { folder } = site;

describe('rdl -i -: the list on the standard input', () => {
  it('R45: -i - reads the list from stdin to its end: comments, out= names, every file exact, exit 0', async () => {
    const work = await folder();
    const list = `# from a pipe\n${site.server.origin}/a.bin\n  out=first.bin\n\n${site.server.origin}/b.bin\n`;
    const run = await runRdlWithInput(['-i', '-', '-j', '2'], work, list);
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(work, 'first.bin'))).toBe(shas.get('a.bin'));
    expect(await sha256File(join(work, 'b.bin'))).toBe(shas.get('b.bin'));
    expect(await listDir(work)).toEqual([queueFileName, 'b.bin', 'first.bin']);
    expect(run.stderr).toMatch(/^rdl: 2 done, of 2$/m);
  });

  it('R30: a bad line on stdin: exit 2, one line naming the standard input and the line, no request, no file', async () => {
    const work = await folder();
    const before = (await site.server.accessLog()).length;
    const run = await runRdlWithInput(['--input-file=-'], work, `${site.server.origin}/a.bin\nnot a url\n`);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^rdl: invalid list: the standard input: line 2: not a URL: "not a url" \(ERR_INVALID_INPUT\)\n$/,
    );
    expect(await listDir(work)).toEqual([]);
    expect((await site.server.accessLog()).length).toBe(before);
  });

  it('R30: an empty stdin lists no URL: exit 2 before any request', async () => {
    const work = await folder();
    const run = await runRdlWithInput(['-i-'], work, '');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/invalid --input-file: it lists no URL \(ERR_INVALID_INPUT\)/);
    expect(await listDir(work)).toEqual([]);
  });

  it('R30: -i of a FIFO is refused at once, pointing to -i -, never waiting for a writer', async () => {
    const work = await folder();
    const fifo = join(work, 'list.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const run = await runRdl(['-i', 'list.fifo'], work);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /list\.fifo is not a regular file \(a pipe goes in as -i -\) \(ERR_INVALID_INPUT\)/,
    );
    expect(await listDir(work)).toEqual(['list.fifo']);
  });

  it('R24: -i - from a pipe that never ends is interruptible: SIGTERM while it is read exits 143, one line, nothing held', async () => {
    const work = await folder();
    // A FIFO opened for reading and writing: the child reads it, and a writer it never sees close keeps it open,
    // so the list never ends.
    const fifo = join(await folder(), 'list.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const pipe = openSync(fifo, 'r+');
    writeSync(pipe, `${site.server.origin}/a.bin\n`);
    const child = spawn(process.execPath, [rdlBin, '-i', '-'], { cwd: work, stdio: [pipe, 'pipe', 'pipe'] });
    closeSync(pipe);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    // Signalled once it reads its standard input from the event loop, never before Node has started: the event
    // loop's read makes the pipe non-blocking (O_NONBLOCK in /proc/<pid>/fdinfo/0). The list was read synchronously,
    // before the command listened: the signal's default action ended it, with no code and nothing said (and a
    // signal's handler could not have run while that read waited).
    const O_NONBLOCK = 0o4000;
    const readsStdin = (): boolean => {
      const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/${child.pid}/fdinfo/0`, 'utf8'))?.[1];
      return (Number.parseInt(flags ?? '0', 8) & O_NONBLOCK) !== 0;
    };
    for (let tries = 0; !readsStdin(); tries += 1) {
      if (tries === 500) {
        child.kill('SIGKILL');
        throw new Error('rdl never read its standard input from the event loop, where a signal is heard');
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGTERM');
    expect(await exit, stderr).toBe(143);
    expect(stderr).toBe(
      'rdl: stopped before any download started; nothing was fetched and nothing is held\n',
    );
    expect(await listDir(work)).toEqual([]);
  });

  it('a writer that sends its list in two parts, 300 ms apart: both are read (stdin is read to its end)', async () => {
    const work = await folder();
    const [a, b] = ['a.bin', 'b.bin'].map((n) => `${site.server.origin}/${n}`);
    const script = `(printf '%s\\n' "$1"; sleep 0.3; printf '%s\\n' "$2") | "$3" "$4" -i - -j 1`;
    const run = await spawnScript(['sh'], '-c', [script, 'sh', a!, b!, process.execPath, rdlBin], work).exit;
    expect(run.code, run.stderr).toBe(0);
    for (const n of ['a.bin', 'b.bin']) expect(await sha256File(join(work, n))).toBe(shas.get(n));
  });

  it('a non-blocking stdin with nothing in it yet (a parent may hand one down) is waited for, not an EAGAIN', async () => {
    const work = await folder();
    const list = `${site.server.origin}/a.bin\n`;
    // python3 makes the pipe, sets O_NONBLOCK on its read end (a flag of the open file, which the child shares),
    // starts rdl on it and writes the list only 300 ms later.
    const script = [
      'import fcntl, os, subprocess, sys, time',
      'r, w = os.pipe()',
      'fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_NONBLOCK)',
      'child = subprocess.Popen(sys.argv[1:], stdin=r)',
      'os.close(r)',
      'time.sleep(0.3)',
      'os.write(w, sys.stdin.buffer.read())',
      'os.close(w)',
      'sys.exit(child.wait())',
    ].join('\n');
    const run = await spawnScript(
      ['python3'],
      '-c',
      [script, process.execPath, rdlBin, '-i', '-'],
      work,
      process.env,
      list,
    ).exit;
    expect(run.code, run.stderr).toBe(0);
    expect(await sha256File(join(work, 'a.bin'))).toBe(shas.get('a.bin'));
  });

  it('R24, R45: a list from stdin stopped by SIGTERM says to give the list again on stdin; that resumes it', async () => {
    const work = await folder();
    const list = ['x.bin', 'y.bin'].map((n) => `${site.server.origin}/slow/${n}\n`).join('');
    const first = spawnScript([process.execPath], rdlBin, ['-i', '-', '--json'], work, process.env, list);
    await first.waitFor((e) => e.event === 'progress' && Number(e.bytes) > 0);
    first.child.kill('SIGTERM');
    const stopped = await first.exit;
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stderr).toContain('rdl -i - --json  # with the same list on its standard input');
    await site.server.setPaced(false);
    const second = await runRdlWithInput(['-i', '-'], work, list);
    expect(second.code, second.stderr).toBe(0);
    for (const n of ['x.bin', 'y.bin']) expect(await sha256File(join(work, n))).toBe(shas.get(n));
  }, 60_000);
});

describe('readToEnd: the standard input read whole, bounded', () => {
  it('reads a stream to its end, and stops with null past the bound', async () => {
    const work = await folder();
    const path = join(work, 'input.txt');
    await writeFile(path, 'x'.repeat(200_000));
    expect((await readToEnd(createReadStream(path), 200_000))?.length).toBe(200_000);
    expect(await readToEnd(createReadStream(path), 199_999)).toBeNull();
  });
});
