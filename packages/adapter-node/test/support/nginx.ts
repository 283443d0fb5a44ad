import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A location served more slowly, so that a download lasts long enough to be killed mid-way. The pace holds while
 * the server is paced (`NginxServer.setPaced`).
 */
export interface SlowLocation {
  /** URL prefix, ending in `/`: `/slow/`. It serves the same root as `/`. */
  readonly prefix: string;
  /** nginx `limit_rate` (bytes a second a connection): `20m`, `512k`. */
  readonly rate: string;
  /**
   * nginx `limit_conn`: the most requests of one client address served at once there; one past it is answered
   * 503. Default none.
   */
  readonly connections?: number;
  /**
   * nginx `sendfile_max_chunk`: the most one send hands the socket (default 2m), so what a paced connection has in
   * flight at a given instant stays about this small. Default nginx's.
   */
  readonly chunk?: string;
  /**
   * The pace while the server is not paced (`setPaced(false)`): default none, full speed. A run after a kill that
   * must end fast but whose cut requests must not waste what loopback's socket buffers hold (megabytes a connection
   * at full speed) keeps a quick pace with a small `chunk`.
   */
  readonly fastRate?: string;
}

export interface NginxOptions {
  /** The folder served at `/`. */
  readonly root: string;
  readonly slow?: readonly SlowLocation[];
}

/** One nginx, on 127.0.0.1, with its config, pid, logs and temp folders in its own temp folder. */
export interface NginxServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly root: string;
  /** The access log: one line a request, `METHOD URI STATUS range=… if-range=… if-match=… sent=N conn=C run=…` (`conn=` nginx's serial number
   * of the connection, growing; `run=` the `X-Test-Run` header). A request is logged when it ends. */
  accessLog(): Promise<string[]>;
  /**
   * Whether the slow locations keep their pace for the requests from now on (a request keeps the pace it began
   * with). Paced when it starts. A test turns it off once no download needs to last: a run after a kill then ends
   * at full speed (or a location's `fastRate`) instead of at the pace that gave the kill its time.
   */
  setPaced(paced: boolean): Promise<void>;
  /** Fast shutdown (open slow transfers are cut), waits for the exit, removes the config folder. */
  stop(): Promise<void>;
}

/** The nginx binary: Debian puts it in /usr/sbin, which is not on every user's PATH. */
export const nginxBinary = (): string => {
  for (const candidate of [
    '/usr/sbin/nginx',
    '/usr/local/sbin/nginx',
    '/usr/local/bin/nginx',
    '/usr/bin/nginx',
  ]) {
    if (existsSync(candidate)) return candidate;
  }
  return 'nginx';
};

/** Temp-path directives for the modules this nginx was built with: a missing module refuses its directive. */
const tempPaths = (binary: string, dir: string): string => {
  // `nginx -V` prints its build options on stderr.
  const built = spawnSync(binary, ['-V'], { encoding: 'utf8' }).stderr ?? '';
  const modules = ['proxy', 'fastcgi', 'uwsgi', 'scgi'].filter(
    (m) => !built.includes(`--without-http_${m}_module`),
  );
  return [
    `client_body_temp_path ${dir}/client_body;`,
    ...modules.map((m) => `${m}_temp_path ${dir}/${m};`),
  ].join('\n    ');
};

/** While this file is in nginx's folder the slow locations are not paced; nginx looks for it at each request. */
const unpacedFlag = (dir: string): string => join(dir, 'unpaced');

const config = (options: NginxOptions, dir: string, port: number, binary: string): string => {
  const slow = (options.slow ?? [])
    .map(
      (s) =>
        `location ${s.prefix} { alias ${options.root}/; set $pace ${s.rate}; ` +
        `if (-f ${unpacedFlag(dir)}) { set $pace ${s.fastRate ?? 0}; } limit_rate $pace; ` +
        `${s.connections === undefined ? '' : `limit_conn perip ${s.connections}; `}` +
        `${s.chunk === undefined ? '' : `sendfile_max_chunk ${s.chunk}; `}}`,
    )
    .join('\n      ');
  return `daemon off;
master_process on;
worker_processes 1;
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
    ${tempPaths(binary, dir)}
    log_format rdl escape=none '$request_method $uri $status range=$http_range if-range=$http_if_range if-match=$http_if_match sent=$body_bytes_sent conn=$connection run=$http_x_test_run';
    access_log ${dir}/access.log rdl;
    limit_conn_zone $binary_remote_addr zone=perip:1m;
    limit_conn_status 503;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    etag on;
    keepalive_timeout 30s;
    server {
      listen 127.0.0.1:${port};
      root ${options.root};
      location / { }
      ${slow}
    }
}
`;
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts nginx in the foreground (`daemon off`), as a child of this process, on a free loopback port. */
const startOnce = async (options: NginxOptions, dir: string): Promise<NginxServer | null> => {
  const binary = nginxBinary();
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, config(options, dir, port, binary));
  const errorLog = join(dir, 'error.log');
  const child = spawn(binary, ['-p', dir, '-c', conf, '-e', errorLog], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let failedToSpawn: Error | null = null;
  child.once('error', (error) => {
    failedToSpawn = error;
  });

  for (let attempt = 0; attempt < 200; attempt++) {
    if (failedToSpawn !== null) throw new Error(`cannot run ${binary}: ${String(failedToSpawn)}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      const log = await readFile(errorLog, 'utf8').catch(() => '');
      // Another process took the port between the probe and nginx's bind: try another.
      if (/Address already in use/.test(log + stderr)) return null;
      throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}): ${stderr}${log}`);
    }
    if (await accepts(port)) break;
    await sleep(25);
  }
  if (!(await accepts(port))) {
    child.kill('SIGKILL');
    throw new Error(`nginx did not listen on 127.0.0.1:${port}: ${stderr}`);
  }

  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    root: options.root,
    accessLog: async () =>
      (await readFile(join(dir, 'access.log'), 'utf8').catch(() => '')).split('\n').filter((l) => l !== ''),
    setPaced: (paced) => (paced ? rm(unpacedFlag(dir), { force: true }) : writeFile(unpacedFlag(dir), '')),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited(child);
        clearTimeout(killer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
};

/**
 * Starts nginx serving `options.root` on 127.0.0.1 (a free port), ETags on, with its config, pid, logs and temp
 * folders in a fresh temp folder. Always `stop()` it (in `afterAll`).
 */
export const startNginx = async (options: NginxOptions): Promise<NginxServer> => {
  for (let attempt = 0; attempt < 5; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'rdl-nginx-'));
    const server = await startOnce(options, dir).catch(async (error: unknown) => {
      await rm(dir, { recursive: true, force: true });
      throw error;
    });
    if (server !== null) return server;
    await rm(dir, { recursive: true, force: true });
  }
  throw new Error('nginx could not bind a free port on 127.0.0.1 in 5 attempts');
};
