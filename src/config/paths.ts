// Where chatbench's own files are: the project root (for schemas/ and reports/). scenarios/ is the
// scenario registry's (src/scenario/registry.ts), the one place that reads it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json, whatever the current directory is. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** schemas/, or a team's own copy of it (CHATBENCH_SCHEMAS): their variants and fragments. */
export const SCHEMAS_DIR = process.env.CHATBENCH_SCHEMAS ? path.resolve(process.env.CHATBENCH_SCHEMAS) : path.join(PROJECT_ROOT, 'schemas');
export const REPORTS_DIR = path.join(PROJECT_ROOT, 'reports');
