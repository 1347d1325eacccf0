// Which database a command targets: --db, else DATABASE_URL, else the embedded server.
import { resolvePaths } from '../db/embedded.ts';
import type { TargetSpec } from '../db/target.ts';
import { parseDbUrl } from './parse.ts';
import { PROJECT_ROOT } from './paths.ts';

export function targetSpec(dbFlag: string | undefined, env: NodeJS.ProcessEnv): TargetSpec {
  if (dbFlag !== undefined) return { kind: 'url', url: parseDbUrl('db', dbFlag) };
  if (env.DATABASE_URL) {
    try {
      return { kind: 'url', url: parseDbUrl('db', env.DATABASE_URL) };
    } catch (e) {
      throw Object.assign(e as Error, { message: (e as Error).message.replace('for --db', 'for DATABASE_URL').replace('the --db URL', 'DATABASE_URL') });
    }
  }
  return { kind: 'embedded', paths: resolvePaths(PROJECT_ROOT, env) };
}
