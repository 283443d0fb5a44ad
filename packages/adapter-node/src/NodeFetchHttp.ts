import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import type { AbortSignalLike, HttpFailure, HttpPort, HttpRequest, HttpResponse } from '@rdl/core';
import * as E from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import fetch, { type Response } from 'node-fetch';
import { followRedirects } from './followRedirects.js';
import { transferEncodingProblem, withoutOverriddenLength } from './http1/bodyFraming.js';
import { headerMapOf } from './http1/headerMap.js';
import { statusProblem } from './http1/responseHead.js';
import { WaitLine } from './http1/waitLine.js';
import { StreamBody } from './StreamBody.js';
import { tlsRefusalOf } from './tlsRefusal.js';

/** Options of `NodeFetchHttp`. */
export interface NodeFetchHttpOptions {
  /**
   * Requests in flight per origin, and sockets kept per origin, busy and idle. Default 16. A request past them waits
   * for one to end, and says so (`HttpRequest.onQueued`), as `NodeHttp`'s do.
   */
  readonly maxSockets?: number;
  /**
   * Bytes of a body received ahead of the reader before the socket is paused. Default 1 MiB: enough that a disk
   * write does not stall the socket, small enough that memory stays flat.
   */
  readonly maxQueuedBytes?: number;
  /** Extra TLS options of the https agent (`ca` for a private CA…). Default none. */
  readonly tls?: ConnectionOptions;
  /** Follow a redirect from https to http (R37). Default false: refused as `RedirectRefused`. */
  readonly allowHttpsDowngrade?: boolean;
}

/**
 * `HttpPort` over node-fetch with keep-alive agents, straight to every origin: it reads no proxy variable and takes
 * no proxy (`NodeHttp` does). Redirects are followed here, hop by hop, by `followRedirects`
 * (R17, R37); bodies are passed on undecoded (R5), as the Buffers the socket gave (no copy). A head Node's parser
 * refuses (`HPE_…`: a malformed status line or field, obs-fold, a control character, an invalid or duplicate
 * Content-Length, and one beside a Transfer-Encoding, which `NodeHttp` ignores instead), a status outside 100 to 599,
 * a field of one value sent twice with two values, and a Transfer-Encoding other than one `chunked` (which Node would
 * read, and pass on gzip bytes as the body) are `Left(BadResponse)`, not retried (R36); the fields are those `NodeHttp`
 * passes on (`headerMapOf`). Node's parser does not show
 * the HTTP version, so a Transfer-Encoding in an HTTP/1.0 answer is read as chunked here, where `NodeHttp` refuses it.
 * A broken chunk after the head reaches node-fetch's body as a premature close only, so it is a cut that core
 * resumes, where `NodeHttp` fails it as final (R36). Call `close()` to drop the idle sockets of a long-lived instance (they never keep the process alive).
 */
export class NodeFetchHttp implements HttpPort {
  readonly maxConnectionsPerOrigin: number;
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private readonly maxQueued: number;
  private readonly allowHttpsDowngrade: boolean;
  /** Requests in flight per origin (from their send to the end of their body), and those waiting past the cap. */
  private readonly busy = new Map<string, number>();
  private readonly line = new WaitLine();

  constructor(options: NodeFetchHttpOptions = {}) {
    this.maxConnectionsPerOrigin = options.maxSockets ?? 16;
    const agentOptions = {
      keepAlive: true,
      maxSockets: this.maxConnectionsPerOrigin,
      scheduling: 'lifo' as const,
    };
    this.httpAgent = new HttpAgent(agentOptions);
    this.httpsAgent = new HttpsAgent({ ...options.tls, ...agentOptions });
    this.maxQueued = options.maxQueuedBytes ?? 1024 * 1024;
    this.allowHttpsDowngrade = options.allowHttpsDowngrade ?? false;
  }

  request(request: HttpRequest): TaskEither<HttpFailure, HttpResponse> {
    return () => this.follow(request);
  }

  /** Closes the idle keep-alive sockets. Requests in flight go on. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async follow(request: HttpRequest): Promise<E.Either<HttpFailure, HttpResponse>> {
    if (request.signal.aborted) return E.left({ _tag: 'Aborted' });
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    request.signal.addEventListener('abort', abort, { once: true });
    const release = (): void => request.signal.removeEventListener('abort', abort);

    const result = await followRedirects(
      request,
      async (url, headers) => {
        const key = new URL(url).origin;
        if (!(await this.turn(key, controller.signal, request.onQueued))) return E.left({ _tag: 'Aborted' });
        const done = once(() => this.free(key));
        let response: Response;
        try {
          response = await fetch(url, {
            method: request.method,
            headers,
            redirect: 'manual',
            compress: false,
            signal: controller.signal,
            agent: (parsed: URL) => (parsed.protocol === 'http:' ? this.httpAgent : this.httpsAgent),
          });
        } catch (error) {
          done();
          return E.left(failureOf(error, request.signal, url));
        }
        const stream = response.body as Readable | null;
        // Its place is free once the body closed, read or not (node frees its socket then too).
        stream?.once('close', done);
        const head = headOf(response);
        if (E.isLeft(head)) {
          discard(stream);
          done();
          return E.left({ _tag: 'BadResponse', reason: head.left });
        }
        return E.right({
          status: response.status,
          headers: withoutOverriddenLength(head.right),
          body: () =>
            bodyOf(stream, request.signal, this.maxQueued, (complete) => {
              // A body let go before its end aborts the request: node-fetch then destroys the socket.
              if (!complete) controller.abort();
              release();
              done();
            }),
          discard: () => {
            discard(stream);
            done();
          },
        });
      },
      { allowHttpsDowngrade: this.allowHttpsDowngrade },
    );
    // A response's body releases the listener when it is done; nothing else will.
    if (E.isLeft(result)) release();
    return result;
  }

  /**
   * Waits until `key` has a request in flight fewer than the cap, and counts this one (`true`); `false` when `signal`
   * aborts first. Told that it waits (R25: core holds its stall timer), and, woken and beaten to the place by a
   * request that came without waiting, first in line the next time.
   */
  private async turn(key: string, signal: AbortSignal, onQueued: HttpRequest['onQueued']): Promise<boolean> {
    for (let woken = false; ; woken = true) {
      const busy = this.busy.get(key) ?? 0;
      if (busy < this.maxConnectionsPerOrigin) {
        this.busy.set(key, busy + 1);
        return true;
      }
      onQueued?.(true);
      const turn = await this.line.wait(key, signal, woken);
      onQueued?.(false);
      if (!turn) return false;
    }
  }

  /** A request to `key` ended (its body read, let go or refused, or no answer): its place goes to the next. */
  private free(key: string): void {
    const busy = (this.busy.get(key) ?? 1) - 1;
    if (busy > 0) this.busy.set(key, busy);
    else this.busy.delete(key);
    this.line.wakeOne(key);
  }
}

/**
 * What `fetch` of `url` failed with. A TLS refusal is looked for in an https request only, and in the socket's own
 * error (`socketErrorOf`), never in text that holds the URL: a redirect to `http://host:1/:error:0A:x:y:certificate
 * required:` is a refused connection, not a TLS refusal of the server's wording (R25, R37). No message holds the URL.
 */
const failureOf = (error: unknown, signal: AbortSignalLike, url: string): HttpFailure => {
  if (signal.aborted || (error as { name?: unknown } | null)?.name === 'AbortError')
    return { _tag: 'Aborted' };
  // Without the URL node-fetch writes in it: a signature of a presigned URL is a secret (R37).
  const message = (error instanceof Error ? error.message : String(error)).replace(FETCH_ERROR_PREFIX, '');
  const refusal = new URL(url).protocol === 'https:' ? tlsRefusalOf(socketErrorOf(error)) : null;
  if (refusal !== null) return { _tag: 'TlsError', message: refusal };
  // llhttp's codes: the answer breaks HTTP/1.1, and would be the same if asked again (R36).
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('HPE_')) return { _tag: 'BadResponse', reason: message };
  return { _tag: 'NetworkError', message };
};

/** What node-fetch writes before the socket's message: `request to <URL> failed, reason: ` (a URL holds no space). */
const FETCH_ERROR_PREFIX = /^request to \S* failed, reason: /;

/**
 * The socket's error a node-fetch `FetchError` of type `system` stands for, as far as node-fetch keeps it (it keeps
 * no `cause`): its code, and its message without the URL node-fetch writes before it. Any other error as it is.
 */
const socketErrorOf = (error: unknown): unknown => {
  if (!(error instanceof Error) || (error as { type?: unknown }).type !== 'system') return error;
  const prefix = FETCH_ERROR_PREFIX.exec(error.message);
  return {
    code: (error as { code?: unknown }).code,
    message: prefix === null ? '' : error.message.slice(prefix[0].length),
  };
};

/**
 * The head's fields (`headerMapOf`), or why the answer is refused (R36): a status outside 100 to 599, a field of one
 * value sent twice with two values, a Transfer-Encoding rdl does not read.
 */
const headOf = (response: Response): E.Either<string, Record<string, string>> => {
  const status = statusProblem(response.status);
  if (status !== null) return E.left(status);
  const fields = headerMapOf(Object.entries(response.headers.raw()));
  if (E.isLeft(fields)) return fields;
  const transferEncoding = fields.right['transfer-encoding'];
  const refused = transferEncoding === undefined ? null : transferEncodingProblem(transferEncoding, 1);
  return refused === null ? fields : E.left(refused);
};

const bodyOf = (
  stream: Readable | null,
  signal: AbortSignalLike,
  maxQueued: number,
  onDone: (complete: boolean) => void,
): AsyncIterable<Uint8Array> => {
  if (stream !== null) return new StreamBody(stream, signal, maxQueued, onDone);
  onDone(true);
  return { [Symbol.asyncIterator]: async function* () {} };
};

const once = (action: () => void): (() => void) => {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
};

/** A redirect's body is not read: dropping it frees the socket for the next hop. */
const discard = (body: Readable | null): void => {
  if (body === null) return;
  body.resume();
};
