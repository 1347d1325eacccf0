import path from 'node:path';
import type { Results } from '../results/types.ts';
export async function renderRun(dir: string, _r: Results): Promise<string> {
  return path.join(dir, 'index.html');
}
