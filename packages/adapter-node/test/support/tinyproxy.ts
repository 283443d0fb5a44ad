import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';

/** tinyproxy (from apt, `scripts/setup.sh`), run in the foreground on 127.0.0.1 by a test. */
export interface Tinyproxy {
  /** `http://127.0.0.1:<port>`, without credentials. */
  readonly url: string;
  readonly port: number;
  /** The request lines tinyproxy logged (`GET http://127.0.0.1:…/f HTTP/1.1`, `CONNECT 127.0.0.1:… HTTP/1.1`). */
  requests(): string[];
  /** Forgets the requests logged so far. */
  clear(): void;
  stop(): Promise<void>;
}

export interface TinyproxyOptions {
  /** The ports CONNECT may reach (tinyproxy's `ConnectPort`). Default: none listed, which tinyproxy takes as any. */
  readonly connectPorts?: readonly number[];
  /** `BasicAuth user password`: tinyproxy answers 407 to a request without them. Default: none. */
  readonly basicAuth?: { readonly user: string; readonly password: string };
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** Resolves once `child` says it accepts connections, or with `false` if it ends first (its port was taken). */
const accepting = (child: ChildProcess, onLine: (line: string) => void): Promise<boolean> =>
  new Promise((resolve) => {
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        onLine(line);
        if (line.includes('Accepting connections')) resolve(true);
      }
    });
    child.once('exit', () => resolve(false));
  });

/**
 * Starts tinyproxy with a config written in `dir`, on a free port of 127.0.0.1 (another port if a process took
 * that one meanwhile), in the foreground (`-d`), logging each request line.
 */
export const startTinyproxy = async (dir: string, options: TinyproxyOptions = {}): Promise<Tinyproxy> => {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    const config = join(dir, `tinyproxy-${port}.conf`);
    await writeFile(
      config,
      [
        `Port ${port}`,
        'Listen 127.0.0.1',
        'Timeout 60',
        'LogLevel Info',
        'MaxClients 64',
        ...(options.connectPorts ?? []).map((p) => `ConnectPort ${p}`),
        ...(options.basicAuth === undefined
          ? []
          : [`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`]),
        '',
      ].join('\n'),
    );
    const child = spawn('tinyproxy', ['-d', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let logged: string[] = [];
    const ready = await accepting(child, (line) => {
      const request = /\]: Request \(file descriptor \d+\): (.*)$/.exec(line);
      if (request?.[1] !== undefined) logged.push(request[1]);
    });
    if (!ready) continue;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      requests: () => [...logged],
      clear: () => {
        logged = [];
      },
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      },
    };
  }
  throw new Error('tinyproxy did not start on any of 5 free ports');
};
