// Questions to the person at the terminal: only when there is one; a pipe or CI gets the refusal.
import readline from 'node:readline/promises';
import { UsageError } from '../errors.ts';

/** True when the person types "yes"; without a terminal, throws `refusal` (a flag says yes instead). */
export async function confirmed(question: string, refusal: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new UsageError(refusal);
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(`${question} Type "yes": `)).trim() === 'yes';
  } finally {
    rl.close();
  }
}
