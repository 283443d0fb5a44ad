// Preloaded into an rdl child (`node --import`): each `--json` line the child writes gets `"atMs"`, the child's own
// `performance.now()` when it wrote it. Times of a rate then come from the process that reads under the limit, not
// from when its lines reach a test that may be busy (a line read 0.9 s late made a window of one second look fast).
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  const text = typeof chunk === 'string' ? chunk : null;
  if (text === null || !text.includes('{')) return write(chunk, ...rest);
  return write(
    text.replace(/^\{/gm, () => `{"atMs":${performance.now()},`),
    ...rest,
  );
};
