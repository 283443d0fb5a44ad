// Run by runtimes.test.ts under each runtime: the library as an application uses it (the built package, its
// dependencies resolved by the runtime). Downloads argv[2] to argv[3], one JSON line a event on stdout: `start`,
// `checkpoint` (the ranges counted and their bytes, once saved: what a kill would resume from), `done` or `error`. With argv[4],
// the first checkpoint counting at least that many bytes freezes the process, mid-download, for the test's
// SIGKILL: the kill then lands before the end however slowly the test gets to it.
import { coveredBytes, decodeCheckpoint } from '@rdl/core/rules';
import { createDownload, FileCheckpointStore } from '../../dist/index.js';

const [url, target, freezeAfter] = process.argv.slice(2);
const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const store = new FileCheckpointStore();
const checkpoints = {
  load: (name) => store.load(name),
  remove: (name) => store.remove(name),
  save: (name, text) => async () => {
    const saved = await store.save(name, text)();
    const decoded = decodeCheckpoint(text);
    if (saved._tag !== 'Right' || decoded._tag !== 'Right') return saved;
    const { ranges } = decoded.right;
    const bytes = coveredBytes(ranges);
    say({ event: 'checkpoint', bytes, ranges });
    if (freezeAfter !== undefined && bytes >= Number(freezeAfter))
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    return saved;
  },
};
// RDL_TEST_RUN names the run in nginx's access log (`run=`), so a test tells its requests from a killed run's,
// which nginx logs only once it sees the connection gone.
const run = process.env.RDL_TEST_RUN;
const download = createDownload(
  {
    url,
    target,
    computeSha256: true,
    checkpointIntervalMs: 20,
    ...(run ? { headers: { 'x-test-run': run } } : {}),
  },
  { checkpoints },
);
download.subscribe((event) => {
  if (event.type === 'start') say({ event: 'start', resumedFrom: event.resumedFrom, total: event.total });
});
download.start();
try {
  const { bytes, sha256 } = await download.result;
  say({ event: 'done', bytes, sha256 });
} catch (error) {
  say({ event: 'error', code: error.code, message: error.message });
  process.exitCode = 1;
}
