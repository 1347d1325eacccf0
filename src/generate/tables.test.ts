import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createWriter, type CopyFormat } from '../copy/writer.ts';
import { loadModel, messageId, messageTimeMs, snowflakeTimeMs, SNOWFLAKE_EPOCH_MS, type ModelParams } from './model.ts';
import { buildPlan, maxMessages } from './plan.ts';
import { LOAD_ORDER, MESSAGE_FAMILY, TABLES, writeMessageFamily, writeTableRows, type TableName } from './tables.ts';

const PARAMS: ModelParams = { seed: 7, messages: 20_000, users: 300, servers: 8, startMs: Date.UTC(2026, 0, 1), days: 10 };
const model = await loadModel(PARAMS);

/** Bytes of a table generated in chunks of `size` units. */
function tableBytes(m: typeof model, table: TableName, size: number, format: CopyFormat = 'text'): string {
  const hash = createHash('sha256');
  const units = TABLES[table].units(m);
  for (let from = 0; from < units; from += size) {
    const to = Math.min(units, from + size);
    if (MESSAGE_FAMILY.includes(table)) {
      const ws = { messages: createWriter(format), message_edits: createWriter(format), reactions: createWriter(format), attachments: createWriter(format) };
      writeMessageFamily(m, ws, from, to);
      hash.update(ws[table as keyof typeof ws].take());
    } else {
      const w = createWriter(format);
      writeTableRows(m, table, w, from, to);
      hash.update(w.take());
    }
  }
  return hash.digest('hex');
}

describe('row generators', () => {
  it.each(LOAD_ORDER)('%s: the same bytes whatever the chunking (rows are pure functions of their index)', (table) => {
    expect(tableBytes(model, table, 1_000_000)).toBe(tableBytes(model, table, 997));
  });

  it('the same seed gives the same bytes; another seed other bytes', async () => {
    expect(tableBytes(await loadModel(PARAMS), 'messages', 5000)).toBe(tableBytes(model, 'messages', 5000));
    expect(tableBytes(await loadModel({ ...PARAMS, seed: 8 }), 'messages', 5000)).not.toBe(tableBytes(model, 'messages', 5000));
  });

  it('message ids are unique, time-ordered, and encode created_at', () => {
    const hint = { minute: -1 };
    let prev = -1;
    let prevId = -1;
    for (let i = 0; i < PARAMS.messages; i++) {
      const t = messageTimeMs(model, i, hint);
      const id = messageId(t, i);
      expect(t).toBeGreaterThanOrEqual(prev);
      expect(id).toBeGreaterThan(prevId);
      expect(snowflakeTimeMs(id)).toBe(t);
      expect(t).toBeGreaterThanOrEqual(PARAMS.startMs);
      expect(t).toBeLessThan(model.endMs);
      prev = t;
      prevId = id;
    }
    expect(Number.isSafeInteger(messageId(Date.UTC(2089, 0, 1), 4095))).toBe(true);
    expect(SNOWFLAKE_EPOCH_MS).toBe(Date.UTC(2020, 0, 1));
  });

  it('message text respects the 4000-character limit and carries the characters COPY must escape', () => {
    const ws = { messages: createWriter('text'), message_edits: createWriter('text'), reactions: createWriter('text'), attachments: createWriter('text') };
    const rows = writeMessageFamily(model, ws, 0, PARAMS.messages);
    const lines = ws.messages.take().toString('utf8').split('\n').filter(Boolean);
    expect(lines.length).toBe(PARAMS.messages);
    let escapes = 0;
    let multibyte = 0;
    for (const line of lines) {
      const content = line.split('\t')[3];
      const unescaped = content.replace(/\\(t|n|r|\\)/g, 'x');
      expect([...unescaped].length).toBeLessThanOrEqual(4000);
      if (/\\[tn\\]/.test(content)) escapes++;
      if (/[^\x00-\x7f]/.test(content)) multibyte++;
    }
    expect(escapes).toBeGreaterThan(0);
    expect(multibyte / lines.length).toBeGreaterThan(0.1);
    // the documented rates, loosely
    expect(rows.reactions / rows.messages).toBeGreaterThan(0.15);
    expect(rows.reactions / rows.messages).toBeLessThan(0.6);
    expect(rows.attachments / rows.messages).toBeGreaterThan(0.02);
    expect(rows.message_edits / rows.messages).toBeGreaterThan(0.01);
  });

  it('text and binary encodings describe the same rows count', () => {
    const t = { messages: createWriter('text'), message_edits: createWriter('text'), reactions: createWriter('text'), attachments: createWriter('text') };
    const b = { messages: createWriter('binary'), message_edits: createWriter('binary'), reactions: createWriter('binary'), attachments: createWriter('binary') };
    expect(writeMessageFamily(model, t, 0, 3000)).toEqual(writeMessageFamily(model, b, 0, 3000));
  });

  it('plans exact counts for the tables whose counts are known up front', () => {
    const plan = buildPlan(PARAMS, model);
    expect(plan.rows.messages).toBe(PARAMS.messages);
    expect(plan.rows.users).toBe(PARAMS.users);
    expect(plan.exact).toContain('messages');
    expect(maxMessages(1)).toBe(86_400_000 * 64);
  });
});
