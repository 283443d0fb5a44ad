/**
 * A dedicated worker that serves `OpfsStorage` (sync access handles) to the page through `RemoteStorage`:
 * `new RemoteStorage(new Worker(new URL('./storageWorker.js', import.meta.url), { type: 'module' }))`.
 */
import { OpfsStorage } from '../OpfsStorage.js';
import { serveStorage } from './storageRpc.js';

serveStorage(self as unknown as import('./storageRpc.js').MessageEndpoint, new OpfsStorage());
