/**
 * The transport alone, as one entrant of the lists section: `node transportFloor.js URLS DIR JOBS` makes, for each URL
 * of the file URLS, the two requests rdl makes for a fresh file (the HEAD probe, then the GET) through `NodeHttp`,
 * JOBS at a time, and writes each body to DIR/<the URL's last segment> with one write. Nothing else: no lock, part
 * file, checkpoint, fsync, rename, state machine or queue. What that costs in a fresh Node process is the floor of
 * rdl's way of fetching a list in Node, whatever the rest costs; the lists table prints it beside rdl and aria2c.
 * Exits 1 with a line on stderr on any answer but a 200 of the length it announced.
 */
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeHttp } from '@rdl/adapter-node';

const [urlsArg, dir, jobsArg] = process.argv.slice(2);
if (urlsArg === undefined || dir === undefined || jobsArg === undefined)
  throw new Error('usage: transportFloor.js URLS DIR JOBS');
const urls = readFileSync(urlsArg, 'utf8')
  .split('\n')
  .filter((line) => line !== '');
const http = new NodeHttp();

const answer = async (method: 'HEAD' | 'GET', url: string) => {
  const got = await http.request({ method, url, headers: {}, signal: new AbortController().signal })();
  if (got._tag === 'Left') throw new Error(`${method} ${url}: ${got.left._tag}`);
  if (got.right.status !== 200) throw new Error(`${method} ${url}: status ${got.right.status}`);
  return got.right;
};

const fetchOne = async (url: string): Promise<void> => {
  const head = await answer('HEAD', url);
  for await (const _ of head.body);
  const get = await answer('GET', url);
  const pieces: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of get.body) {
    pieces.push(Buffer.from(chunk));
    bytes += chunk.length;
    get.recycle?.(chunk);
  }
  if (String(bytes) !== get.headers['content-length'])
    throw new Error(`GET ${url}: ${bytes} bytes, announced ${get.headers['content-length']}`);
  const file = await open(join(dir, new URL(url).pathname.split('/').at(-1) ?? 'file'), 'wx');
  try {
    await file.write(Buffer.concat(pieces, bytes), 0, bytes, 0);
  } finally {
    await file.close();
  }
};

let next = 0;
try {
  await Promise.all(
    Array.from({ length: Number(jobsArg) }, async () => {
      for (let i = next++; i < urls.length; i = next++) await fetchOne(urls[i] as string);
    }),
  );
} catch (error) {
  process.stderr.write(`transportFloor: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
// The pool's idle keep-alive connections would hold the process open.
process.exit(0);
