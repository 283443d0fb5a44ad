import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { DEMO_FILE, DEMO_SIZE, demoPlugin } from './demoPlugin.js';
import { patternBytes, startFaultServer } from './faultServer.js';
import { sourceAliases } from './sourceAliases.js';

// `pnpm demo:browser`: the page on 127.0.0.1:5173, the fault-injecting file server on 127.0.0.1:5174 (another
// origin, so the download is a CORS one).
const files = await startFaultServer(Number(process.env.RDL_FILES_PORT ?? 5174));
files.setFile(DEMO_FILE, patternBytes(DEMO_SIZE, 1));
files.faults.bytesPerTick = 64 * 1024;
files.faults.tickMs = 10;
const pagePort = Number(process.env.RDL_DEMO_PORT ?? 5173);
console.log(
  `\n  rdl browser demo:  http://127.0.0.1:${pagePort}/\n  file server:       ${files.origin}/files/${DEMO_FILE}\n`,
);

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { alias: sourceAliases },
  optimizeDeps: { noDiscovery: true, include: [] },
  server: { host: '127.0.0.1', port: pagePort, strictPort: true },
  plugins: [demoPlugin(files)],
});
