// Starts a load worker (load-worker.ts) with TypeScript support, whether or not the thread that
// spawns it has tsx loaded (the CLI does; a test runner may not).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
