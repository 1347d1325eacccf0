// Writes docs/results.schema.json, the JSON Schema of results.json, from the zod schema readers
// validate with (src/results/schema.ts). A unit test fails when the committed file is stale.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resultsJsonSchema } from '../src/results/schema.ts';

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'results.schema.json');
fs.writeFileSync(file, resultsJsonSchema());
process.stdout.write(`wrote ${file}\n`);
