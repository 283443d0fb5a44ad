import type { Connection } from './Connection.js';

/** Idle connections kept per origin: as many as the connections of a segmented download (16 by default). */
const MAX_IDLE_PER_ORIGIN = 16;

/**
 * Kept-alive connections waiting for their next request, per origin, the most recently used first (its socket is
 * the least likely to have been closed by the server). An idle connection is unref'd, so it never keeps the
 * process alive, and closed after `idleTimeoutMs` (servers close theirs after 5 to 75 s; nginx 75, Node 5).
 */
export class ConnectionPool {
  readonly #idle = new Map<string, Connection[]>();
  readonly #timers = new Map<Connection, NodeJS.Timeout>();

  constructor(private readonly idleTimeoutMs: number) {}

  /** An idle connection to `key`, now busy, or `null`. */
  take(key: string): Connection | null {
    const list = this.#idle.get(key);
    for (let connection = list?.pop(); connection !== undefined; connection = list?.pop()) {
      this.#forget(connection);
      if (!connection.closed) return connection;
    }
    return null;
  }

  /** Keeps `connection` for a later request, or closes it when its origin has enough idle ones. */
  put(connection: Connection): void {
    const key = connection.origin.key;
    const list = this.#idle.get(key) ?? [];
    if (list.length >= MAX_IDLE_PER_ORIGIN || connection.closed) {
      connection.destroy();
      return;
    }
    list.push(connection);
    this.#idle.set(key, list);
    connection.unref();
    const timer = setTimeout(() => {
      this.remove(connection);
      connection.destroy();
    }, this.idleTimeoutMs);
    timer.unref();
    this.#timers.set(connection, timer);
  }

  /** Drops `connection` if it is idle here (its socket closed). */
  remove(connection: Connection): void {
    const list = this.#idle.get(connection.origin.key);
    const index = list?.indexOf(connection) ?? -1;
    if (list !== undefined && index >= 0) list.splice(index, 1);
    if (list?.length === 0) this.#idle.delete(connection.origin.key);
    this.#forget(connection);
  }

  /** Closes every idle connection. */
  close(): void {
    for (const list of this.#idle.values()) for (const connection of list) connection.destroy();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#idle.clear();
    this.#timers.clear();
  }

  #forget(connection: Connection): void {
    const timer = this.#timers.get(connection);
    if (timer !== undefined) clearTimeout(timer);
    this.#timers.delete(connection);
  }
}
