import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkpointPathOf } from '../src/FileCheckpointStore.js';
import { runRdl, spawnRdl } from './support/cliProcess.js';
import { FaultServer, generateBytes, sha256 } from './support/faultServer.js';
import { selfSigned } from './support/selfSigned.js';
import { makeTempDir, useTempDir } from './support/tempDir.js';
import { startTinyproxy, type Tinyproxy } from './support/tinyproxy.js';

const body = generateBytes(2 * 1024 * 1024 + 3, 31);
const dir = useTempDir('rdl-proxy-cli-');
/** A proxy nobody listens on: reaching it would fail the run. */
const deadProxy = 'http://127.0.0.1:1';

let temp: { dir: string; cleanup: () => Promise<void> };
let plain: FaultServer;
let secure: FaultServer;
let certFile: string;
let proxy: Tinyproxy;
let guarded: Tinyproxy;

/** The environment of a run: this one's, less every proxy variable, plus `vars`. */
const envWith = (vars: Record<string, string>): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const name of ['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy']) {
    delete env[name];
    delete env[name.toUpperCase()];
  }
  return { ...env, ...vars };
};

beforeAll(async () => {
  temp = await makeTempDir('rdl-proxy-cli-tls-');
  const certificate = await selfSigned(temp.dir);
  certFile = certificate.certFile;
  plain = await FaultServer.start();
  secure = await FaultServer.start({ tls: { key: certificate.key, cert: certificate.cert } });
  const connectPorts = [Number(new URL(secure.origin).port)];
  proxy = await startTinyproxy(temp.dir, { connectPorts });
  guarded = await startTinyproxy(temp.dir, { connectPorts, basicAuth: { user: 'rdl', password: 'pw.1' } });
});
afterAll(async () => {
  await proxy?.stop();
  await guarded?.stop();
  await plain?.close();
  await secure?.close();
  await temp?.cleanup();
});
beforeEach(() => {
  plain.requests.length = 0;
  secure.requests.length = 0;
  proxy.clear();
  guarded.clear();
});

describe('rdl through tinyproxy', () => {
  it('https_proxy is read before HTTPS_PROXY (lower case first): the download goes through CONNECT', async () => {
    secure.serve('/env.bin', body);
    const run = await runRdl(
      [secure.url('/env.bin'), '-o', 'env.bin', '--cacert', certFile, '-q'],
      dir(),
      undefined,
      envWith({ https_proxy: proxy.url, HTTPS_PROXY: deadProxy, HTTP_PROXY: deadProxy }),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(sha256(await readFile(join(dir(), 'env.bin')))).toBe(sha256(body));
    expect(proxy.requests().some((line) => line.startsWith('CONNECT 127.0.0.1:'))).toBe(true);
  });

  it('HTTP_PROXY carries http; NO_PROXY sends a host on its list straight to the origin, the proxy never asked', async () => {
    plain.serve('/env.bin', body);
    const viaProxy = await runRdl(
      [plain.url('/env.bin'), '-o', 'a.bin', '-q'],
      dir(),
      undefined,
      envWith({ HTTP_PROXY: proxy.url }),
    );
    expect(viaProxy.code).toBe(0);
    expect(proxy.requests()).toContain(`GET ${plain.url('/env.bin')} HTTP/1.1`);
    expect(plain.requests.every((request) => String(request.headers.via).includes('tinyproxy'))).toBe(true);
    proxy.clear();
    plain.requests.length = 0;
    const direct = await runRdl(
      [plain.url('/env.bin'), '-o', 'b.bin', '-q'],
      dir(),
      undefined,
      envWith({ HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' }),
    );
    expect(direct.code).toBe(0);
    expect(proxy.requests()).toEqual([]);
    expect(plain.requests.every((request) => request.headers.via === undefined)).toBe(true);
  });

  it('R37: under CGI (REQUEST_METHOD set) HTTP_PROXY is not read (httpoxy): the download and its Cookie go straight to the origin', async () => {
    plain.serve('/cgi.bin', body);
    const run = await runRdl(
      [plain.url('/cgi.bin'), '-o', 'cgi.bin', '-q', '-H', 'Cookie: session=secret'],
      dir(),
      undefined,
      envWith({ REQUEST_METHOD: 'GET', HTTP_PROXY: proxy.url }),
    );
    expect(run.code).toBe(0);
    expect(sha256(await readFile(join(dir(), 'cgi.bin')))).toBe(sha256(body));
    expect(proxy.requests()).toEqual([]);
    expect(plain.requests.every((request) => request.headers.via === undefined)).toBe(true);
  });

  it('--proxy keeps the hosts of NO_PROXY direct, as curl -x does; --noproxy replaces NO_PROXY', async () => {
    plain.serve('/kept.bin', body);
    const env = envWith({ NO_PROXY: '127.0.0.1' });
    const direct = await runRdl(
      [plain.url('/kept.bin'), '-o', 'direct.bin', '-q', '--retries', '0', '--proxy', deadProxy],
      dir(),
      undefined,
      env,
    );
    expect(direct.stderr).toBe('');
    expect(direct.code).toBe(0);
    expect(sha256(await readFile(join(dir(), 'direct.bin')))).toBe(sha256(body));
    const proxied = await runRdl(
      [plain.url('/kept.bin'), '-o', 'proxied.bin', '-q', '--proxy', proxy.url, '--noproxy', 'example.test'],
      dir(),
      undefined,
      env,
    );
    expect(proxied.code, proxied.stderr).toBe(0);
    expect(proxy.requests()).toContain(`GET ${plain.url('/kept.bin')} HTTP/1.1`);
  });

  it("--proxy '' and --noproxy '*' go direct whatever the environment says, as curl", async () => {
    plain.serve('/flags.bin', body);
    const env = envWith({ http_proxy: deadProxy, NO_PROXY: '' });
    for (const flags of [
      ['--proxy', ''],
      ['--noproxy', '*'],
    ]) {
      const run = await runRdl(
        [plain.url('/flags.bin'), '-o', `${flags[0]?.slice(2)}.bin`, '-q', '--retries', '0', ...flags],
        dir(),
        undefined,
        env,
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
  });

  it('--proxy with credentials: 407 without them (ERR_PROXY, exit 1, --json), success with them, never printed', async () => {
    secure.serve('/auth.bin', body);
    const args = [secure.url('/auth.bin'), '-o', 'auth.bin', '--cacert', certFile, '--json'];
    const refused = await runRdl([...args, '--proxy', guarded.url], dir(), undefined, envWith({}));
    expect(refused.code).toBe(1);
    const error = refused.events.find((event) => event.event === 'error');
    expect(error?.code).toBe('ERR_PROXY');
    expect(String(error?.message)).toContain('407');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    const withCredentials = guarded.url.replace('http://', 'http://rdl:pw%2E1@');
    const run = await runRdl([...args, '--proxy', withCredentials], dir(), undefined, envWith({}));
    expect(run.code).toBe(0);
    expect(sha256(await readFile(join(dir(), 'auth.bin')))).toBe(sha256(body));
    for (const output of [run.stdout, run.stderr, refused.stdout, refused.stderr]) {
      expect(output).not.toContain('pw%2E1');
      expect(output).not.toContain('pw.1');
    }
    expect(secure.requests.every((request) => request.headers['proxy-authorization'] === undefined)).toBe(
      true,
    );
  });

  it('R20, R26: killed mid-way through the proxy, the same command resumes through it with a Range', async () => {
    const big = generateBytes(8 * 1024 * 1024, 32);
    plain.serve('/kill.bin', big);
    // The first GET stops after 3 MiB, until the run is killed.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    plain.fail({ kind: 'stall', at: 3 * 1024 * 1024, until: held }, { method: 'GET' });
    const target = join(dir(), 'kill.bin');
    const args = [plain.url('/kill.bin'), '-o', 'kill.bin', '--json', '-x', '1', '--proxy', proxy.url];
    const first = spawnRdl(args, dir(), undefined, envWith({}));
    // The checkpoint counts bytes once they are flushed (R20): wait for it, then kill.
    for (;;) {
      const text = await readFile(checkpointPathOf(target), 'utf8').catch(() => null);
      const ranges = text === null ? [] : (JSON.parse(text) as { ranges: [number, number][] }).ranges;
      if ((ranges[0]?.[1] ?? 0) > 0) break;
      if (first.child.exitCode !== null) throw new Error(`the run ended first: ${(await first.exit).stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    first.child.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    release();
    proxy.clear();
    plain.requests.length = 0;
    const second = await runRdl(args, dir(), undefined, envWith({}));
    expect(second.code).toBe(0);
    expect(sha256(await readFile(target))).toBe(sha256(big));
    const resumed = plain.gets().find((request) => String(request.headers.range).startsWith('bytes='));
    expect(resumed?.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(String(resumed?.headers.via)).toContain('tinyproxy');
    expect(proxy.requests()).toContain(`GET ${plain.url('/kill.bin')} HTTP/1.1`);
  });
});
