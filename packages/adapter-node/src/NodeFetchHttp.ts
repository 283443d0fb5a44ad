import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import {
  type AbortSignalLike,
  type HeaderMap,
  type HttpFailure,
  type HttpPort,
  type HttpRequest,
  type HttpResponse,
  redirectStep,
} from '@rdl/core';
import * as E from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import fetch, { type Response } from 'node-fetch';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Options of `NodeFetchHttp`. */
export interface NodeFetchHttpOptions {
  /** Sockets kept per origin, busy and idle. Default 16. */
  readonly maxSockets?: number;
  /**
   * Bytes of a body received ahead of the reader before the socket is paused. Default 1 MiB: enough that a disk
   * write does not stall the socket, small enough that memory stays flat.
   */
  readonly maxQueuedBytes?: number;
}

/**
 * `HttpPort` over node-fetch with keep-alive agents. Redirects are followed here, hop by hop, with core's
 * `redirectStep` (R17); bodies are passed on undecoded (R5), as the Buffers the socket gave (no copy).
 * Call `close()` to drop the idle sockets of a long-lived instance (they never keep the process alive).
 */
export class NodeFetchHttp implements HttpPort {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private readonly maxQueued: number;

  constructor(options: NodeFetchHttpOptions = {}) {
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets ?? 16,
      scheduling: 'lifo' as const,
    };
    this.httpAgent = new HttpAgent(agentOptions);
    this.httpsAgent = new HttpsAgent(agentOptions);
    this.maxQueued = options.maxQueuedBytes ?? 1024 * 1024;
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

    let url = request.url;
    let headers: HeaderMap = request.headers;
    for (let hop = 0; ; hop += 1) {
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
        release();
        return E.left(failureOf(error, request.signal));
      }
      const head = headerMapOf(response);
      if (!REDIRECT_STATUSES.has(response.status)) {
        return E.right({
          status: response.status,
          url,
          headers: head,
          body: bodyOf(response.body as Readable | null, request.signal, controller, release, this.maxQueued),
        });
      }
      discard(response.body as Readable | null);
      const next = redirectStep({
        from: url,
        location: head.location,
        status: response.status,
        method: request.method,
        headers,
        hop,
      });
      if (E.isLeft(next)) {
        release();
        return next;
      }
      url = next.right.url;
      headers = next.right.headers;
    }
  }
}

const failureOf = (error: unknown, signal: AbortSignalLike): HttpFailure => {
  if (signal.aborted || (error as { name?: unknown } | null)?.name === 'AbortError')
    return { _tag: 'Aborted' };
  return { _tag: 'NetworkError', message: error instanceof Error ? error.message : String(error) };
};

/** Header names lower-cased (node-fetch's `raw()` already is); a repeated header joined with `, ` (RFC 9110 §5.3). */
const headerMapOf = (response: Response): Record<string, string> => {
  const map: Record<string, string> = {};
  for (const [name, values] of Object.entries(response.headers.raw())) map[name] = values.join(', ');
  return map;
};

/** A redirect's body is not read: dropping it frees the socket for the next hop. */
const discard = (body: Readable | null): void => {
  if (body === null) return;
  body.resume();
};

/**
 * The body as the socket's own Buffers (no copy), read in flowing mode into a queue of at most `maxQueued` bytes
 * (the stream is paused beyond it). A Node stream drops what it buffered when it is destroyed, so a cut would lose
 * bytes that had already arrived; the queue keeps them, and they are yielded before the cut's error, so a retry
 * resumes from every byte received (R26). After an abort nothing more is yielded. Leaving the loop early
 * (`return()`) aborts the request, which destroys the socket rather than draining an unwanted body into the pool.
 */
async function* bodyOf(
  body: Readable | null,
  signal: AbortSignalLike,
  controller: AbortController,
  release: () => void,
  maxQueued: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  if (body === null) {
    release();
    return;
  }
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  const onData = (chunk: Buffer): void => {
    queue.push(chunk);
    queued += chunk.byteLength;
    if (queued >= maxQueued) body.pause();
    notify();
  };
  const onEnd = (): void => {
    ended = true;
    notify();
  };
  const onError = (error: unknown): void => {
    failure ??= error;
    notify();
  };
  const onClose = (): void => {
    if (!ended) failure ??= new Error('the connection closed before the end of the body');
    notify();
  };
  body.on('data', onData);
  body.on('end', onEnd);
  body.on('error', onError);
  body.on('close', onClose);
  let finished = false;
  try {
    while (!signal.aborted) {
      const chunk = queue.shift();
      if (chunk !== undefined) {
        queued -= chunk.byteLength;
        if (queued < maxQueued && body.isPaused()) body.resume();
        yield chunk;
        continue;
      }
      if (failure !== null) throw failure;
      if (ended) {
        finished = true;
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    body.off('data', onData);
    body.off('end', onEnd);
    body.off('error', onError);
    body.off('close', onClose);
    if (!finished) {
      controller.abort();
      body.destroy();
    }
    release();
  }
}
