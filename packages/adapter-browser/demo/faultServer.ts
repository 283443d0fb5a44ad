import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
// Core's own range parser, from its source: this file runs in plain Node (vite's config loader), where core's
// dist cannot load yet (its `fp-ts/Either` subpath imports are directory imports Node ESM refuses).
import { parseRangeHeader } from '../../core/src/memory/rangeHeader.js';
import { patternBytes } from './patternBytes.js';
import type { LoggedRequest } from './requestLog.js';

/** One version of a file the server offers. */
interface Version {
  readonly bytes: Uint8Array;
  readonly etag: string;
  readonly lastModified: string;
  readonly sha256: string;
}

/** Faults, changed by tests at any time; each applies to the next data responses. */
/** A file's name in its path, decoded; one that does not decode (`bad%E0%A4%A.bin`) is the name as written. */
const fileName = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

export interface Faults {
  /** Throttle: bytes sent per tick. Default: no throttle. */
  bytesPerTick: number | null;
  tickMs: number;
  /** Answer this many ranged GETs with a 200 and the whole body (R7). */
  ignoreRangeTimes: number;
  /** Cut this many data responses (socket destroyed) after `cutAfterBytes` bytes of their body. */
  cutTimes: number;
  cutAfterBytes: number;
  /** Hold every body when it reaches this absolute offset, until `release()`. */
  holdAt: number | null;
  /** `/signed/<name>?sig=N` answers 403 while `N` is below this: an expired presigned URL (R18). */
  minSignature: number;
}

/**
 * The headers a cross-origin download needs to see: `ETag` (R1, R6), `Content-Range` (R8), `Content-Length`,
 * `Accept-Ranges` (without it a HEAD probe reads as "not rangeable"), `Content-Encoding` (R5) and `Date` (R3).
 * `Last-Modified` is CORS-safelisted already; listing it does no harm.
 */
export const EXPOSED_HEADERS =
  'ETag, Content-Range, Content-Length, Accept-Ranges, Content-Encoding, Date, Last-Modified';

const noFaults = (): Faults => ({
  bytesPerTick: null,
  tickMs: 10,
  ignoreRangeTimes: 0,
  cutTimes: 0,
  cutAfterBytes: 0,
  holdAt: null,
  minSignature: 0,
});

/** A log entry for a request answered without a body. */
const logEntry = (req: IncomingMessage, path: string, status: number): LoggedRequest => {
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' ? value : null;
  };
  return {
    method: req.method ?? '',
    path,
    range: header('range'),
    ifRange: header('if-range'),
    ifMatch: header('if-match'),
    authorization: header('authorization'),
    origin: header('origin'),
    accessControlRequestHeaders: header('access-control-request-headers'),
    acceptEncoding: header('accept-encoding'),
    closedEarly: false,
    sent: 0,
    status,
  };
};

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export interface FaultServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly faults: Faults;
  readonly requests: LoggedRequest[];
  /** Puts (or replaces: a new version, new ETag) the file `/files/<name>`; returns its SHA-256. */
  setFile(name: string, bytes: Uint8Array): string;
  sha256Of(name: string): string;
  /** The size of the current version of `name`, `null` when there is none. */
  sizeOf(name: string): number | null;
  /** Lets held bodies go on (see `Faults.holdAt`), and clears the hold. */
  release(): void;
  /** Destroys every open connection, as a network that goes away does. */
  dropConnections(): void;
  /** Resets the faults and the request log. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A file server on its own origin that can fail in the ways the resume rules (docs/resume-rules.md) name: throttled bodies, cut
 * connections, a 200 to a ranged request, a file that changes between runs, a body held at an offset. It speaks
 * CORS to any origin (`Access-Control-Allow-Origin: *`, `Range` allowed, validators exposed) and answers `HEAD`,
 * `GET` with `Range`/`If-Range`, `If-Match` (412) and 416 by RFC 9110. `POST /_control` with JSON `Faults` fields
 * changes faults (the demo page's fault menu uses it). A URL's `?expose=ETag, Content-Length` exposes those headers
 * only, in place of `EXPOSED_HEADERS`.
 */
export const startFaultServer = async (port = 0): Promise<FaultServer> => {
  const files = new Map<string, Version>();
  let faults = noFaults();
  const requests: LoggedRequest[] = [];
  // A held body waits on `hold`; `release()` settles it and makes a new one for the next hold.
  let releaseHold: () => void = () => {};
  const newHold = () =>
    new Promise<void>((done) => {
      releaseHold = done;
    });
  let hold = newHold();
  let versions = 0;
  const sockets = new Set<import('node:net').Socket>();

  const setFile = (name: string, bytes: Uint8Array): string => {
    versions += 1;
    const sha256 = sha256Hex(bytes);
    files.set(name, {
      bytes,
      sha256,
      etag: `"${sha256.slice(0, 16)}-${versions}"`,
      // An hour old, so the date would count as strong too (R3).
      lastModified: new Date(Date.now() - 3_600_000).toUTCString(),
    });
    return sha256;
  };

  const cors = (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    res.setHeader('Access-Control-Allow-Headers', 'Range, If-Range, If-Match, Authorization, Content-Type');
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, OPTIONS');
    if (req.headers.origin !== undefined) res.setHeader('Vary', 'Origin');
  };

  const sendBody = async (res: ServerResponse, log: LoggedRequest, bytes: Uint8Array, first: number) => {
    const cut = faults.cutTimes > 0 ? faults.cutAfterBytes : null;
    if (cut !== null) faults.cutTimes -= 1;
    let offset = 0;
    while (offset < bytes.length) {
      if (faults.holdAt !== null && first + offset >= faults.holdAt) await hold;
      if (res.destroyed) return;
      let size = faults.bytesPerTick ?? 256 * 1024;
      if (cut !== null) size = Math.min(size, cut - offset);
      if (faults.holdAt !== null && first + offset < faults.holdAt)
        size = Math.min(size, faults.holdAt - first - offset);
      if (cut !== null && size <= 0) {
        res.socket?.destroy();
        return;
      }
      const chunk = bytes.subarray(offset, offset + size);
      const drained = res.write(chunk);
      offset += chunk.length;
      log.sent = offset;
      if (!drained) await new Promise((done) => res.once('drain', done));
      if (faults.bytesPerTick !== null) await new Promise((done) => setTimeout(done, faults.tickMs));
    }
    if (cut !== null && offset >= cut) {
      res.socket?.destroy();
      return;
    }
    res.end();
  };

  /**
   * `/files/<name>`, or with `gzipped` its gzip, stored so (an object store's `Content-Encoding: gzip` object, nginx
   * `gzip_static always`): every answer is that representation whatever `Accept-Encoding` says, ranges count its
   * bytes. `hideEncoding` leaves `Content-Encoding` out of the headers a page is shown (a CORS setup that forgot it).
   */
  const serveFile = async (
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    gzipped = false,
    hideEncoding = false,
  ) => {
    const stored = files.get(name);
    const version =
      stored === undefined || !gzipped
        ? stored
        : {
            ...stored,
            bytes: new Uint8Array(gzipSync(stored.bytes)),
            etag: `${stored.etag.slice(0, -1)}-gz"`,
          };
    if (gzipped) {
      res.setHeader('Content-Encoding', 'gzip');
      if (hideEncoding)
        res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS.replace(' Content-Encoding,', ''));
    }
    const head = req.method === 'HEAD';
    const header = (n: string) => {
      const value = req.headers[n];
      return typeof value === 'string' ? value : null;
    };
    const logged = (status: number): LoggedRequest => {
      const entry: LoggedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        range: header('range'),
        ifRange: header('if-range'),
        ifMatch: header('if-match'),
        authorization: header('authorization'),
        origin: header('origin'),
        accessControlRequestHeaders: null,
        acceptEncoding: header('accept-encoding'),
        closedEarly: false,
        sent: 0,
        status,
      };
      res.on('close', () => {
        if (!res.writableFinished) entry.closedEarly = true;
      });
      requests.push(entry);
      return entry;
    };
    if (version === undefined) {
      logged(404);
      res.writeHead(404).end();
      return;
    }
    const total = version.bytes.length;
    res.setHeader('ETag', version.etag);
    res.setHeader('Last-Modified', version.lastModified);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'application/octet-stream');
    const ifMatch = header('if-match');
    if (ifMatch !== null && ifMatch !== '*' && !ifMatch.split(/\s*,\s*/).includes(version.etag)) {
      logged(412);
      res.writeHead(412).end();
      return;
    }
    const ifRange = header('if-range');
    const rangeAllowed = ifRange === null || ifRange === version.etag || ifRange === version.lastModified;
    let spec = rangeAllowed
      ? parseRangeHeader(header('range') ?? undefined, total)
      : ({ _tag: 'None' } as const);
    if (spec._tag !== 'None' && faults.ignoreRangeTimes > 0 && !head) {
      faults.ignoreRangeTimes -= 1;
      spec = { _tag: 'None' };
    }
    if (spec._tag === 'Unsatisfiable') {
      logged(416);
      res.writeHead(416, { 'Content-Range': `bytes */${total}` }).end();
      return;
    }
    // One range only (a multi-range request gets the first range, which is enough for this test server).
    const range = spec._tag === 'Single' ? spec : spec._tag === 'Multiple' ? spec.ranges[0] : undefined;
    if (range === undefined) {
      const log = logged(200);
      res.writeHead(200, { 'Content-Length': String(total) });
      if (head) res.end();
      else await sendBody(res, log, version.bytes, 0);
      return;
    }
    const log = logged(206);
    res.writeHead(206, {
      'Content-Length': String(range.last - range.first + 1),
      'Content-Range': `bytes ${range.first}-${range.last}/${total}`,
    });
    if (head) res.end();
    else await sendBody(res, log, version.bytes.subarray(range.first, range.last + 1), range.first);
  };

  const control = async (req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const asked = JSON.parse(text === '' ? '{}' : text) as Partial<Faults> & {
      reset?: boolean;
      release?: boolean;
      drop?: boolean;
      /** Puts a new version of `/files/<name>`: its size, bytes `patternBytes(size, seed)`, a new ETag. */
      replace?: { name: string; seed: number };
    };
    if (asked.reset === true) {
      server.release();
      faults = noFaults();
      requests.length = 0;
    }
    const { reset: _reset, release, drop, replace, ...changes } = asked;
    Object.assign(faults, changes);
    if (replace !== undefined) {
      const size = server.sizeOf(replace.name);
      if (size !== null) server.setFile(replace.name, patternBytes(size, replace.seed));
    }
    res.writeHead(200, { 'Content-Type': 'application/json', Connection: 'close' });
    // Drop, then release, once this answer is out: a held body must not go on before the connections are cut.
    res.end(JSON.stringify(faults), () => {
      if (drop === true) server.dropConnections();
      if (release === true) server.release();
    });
  };

  const http: Server = createServer((req, res) => {
    cors(req, res);
    const asked = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = asked.pathname;
    // `?expose=<headers>`: the answer shows a cross-origin page these headers only (a CORS setup that forgot one).
    const expose = asked.searchParams.get('expose');
    if (expose !== null) res.setHeader('Access-Control-Expose-Headers', expose);
    if (req.method === 'OPTIONS') {
      requests.push(logEntry(req, path, 204));
      res.writeHead(204).end();
      return;
    }
    if (path === '/_requests') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(requests));
      return;
    }
    if (path === '/_control' && req.method === 'POST') {
      void control(req, res);
      return;
    }
    const redirect = /^\/redirect\/(.+)$/.exec(path);
    if (redirect !== null) {
      // `/redirect/<url-encoded target>`: a 302 there (R17 tests).
      res.writeHead(302, { Location: decodeURIComponent(redirect[1] ?? '') }).end();
      return;
    }
    const signed = /^\/signed\/([^/]+)$/.exec(path);
    if (signed !== null && (req.method === 'GET' || req.method === 'HEAD')) {
      const signature = Number(new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('sig'));
      if (!(signature >= faults.minSignature)) {
        requests.push(logEntry(req, path, 403));
        res.writeHead(403).end();
        return;
      }
      void serveFile(req, res, fileName(signed[1] ?? '')).catch(() => res.destroy());
      return;
    }
    const file = /^\/files\/([^/]+)$/.exec(path);
    if (file !== null && (req.method === 'GET' || req.method === 'HEAD')) {
      void serveFile(req, res, fileName(file[1] ?? '')).catch(() => res.destroy());
      return;
    }
    const gzipped = /^\/gzipped\/([^/]+)$/.exec(path);
    if (gzipped !== null && (req.method === 'GET' || req.method === 'HEAD')) {
      const hide = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('hide') === '1';
      void serveFile(req, res, fileName(gzipped[1] ?? ''), true, hide).catch(() => res.destroy());
      return;
    }
    res.writeHead(404).end();
  });
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done) => http.listen(port, '127.0.0.1', done));
  const address = http.address() as AddressInfo;

  const server: FaultServer = {
    origin: `http://127.0.0.1:${address.port}`,
    get faults() {
      return faults;
    },
    requests,
    setFile,
    sha256Of: (name) => files.get(name)?.sha256 ?? '',
    sizeOf: (name) => files.get(name)?.bytes.length ?? null,
    release: () => {
      faults.holdAt = null;
      releaseHold();
      hold = newHold();
    },
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    reset: () => {
      server.release();
      faults = noFaults();
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((done) => {
        server.release();
        for (const socket of sockets) socket.destroy();
        http.close(() => done());
      }),
  };
  return server;
};

export type { LoggedRequest };
export { patternBytes };
