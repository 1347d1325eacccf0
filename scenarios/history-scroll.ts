// history-scroll: open a channel at its latest page, then scroll back page by page.
import { defineScenario, queries } from '../src/scenario/api.ts';

const PAGE = 50;

interface State {
  channel: number;
  /** The newest id this client knows (from the gateway): pages never see past it. */
  newest: number;
  cursor: number;
  pagesLeft: number;
}

export default defineScenario<State>({
  name: 'history-scroll',
  description: 'Users open a channel (hot channels more often) at its latest page of 50 messages, then scroll back 2 to 10 pages by keyset cursor on id.',
  question: 'How fast is reading channel history, newest first, page after page, on each physical layout?',
  defaults: { executor: 'closed', concurrency: 4, durationMs: 30_000, warmupMs: 5_000 },
  state: () => ({ channel: 0, newest: 0, cursor: 0, pagesLeft: 0 }),
  next: (vu) => (vu.state.pagesLeft > 0 ? 'scroll-back' : 'open-channel'),
  operations: [
    {
      name: 'open-channel',
      kind: 'read',
      expectIndex: true,
      sql: queries.LATEST_PAGE,
      params(vu) {
        const s = vu.state;
        s.channel = vu.world.hotChannel(vu.rng);
        // Answer checks stay inside the seeded data; the run also sees messages sent since.
        s.newest = vu.mode === 'check' ? vu.world.idFloor(vu.world.endMs) : vu.world.idFloor(vu.world.nowMs() + 1);
        s.pagesLeft = 2 + vu.rng.int(9);
        return [s.channel, s.newest];
      },
      after(vu, rows) {
        vu.state.cursor = rows.length ? Number(rows.value(rows.length - 1, 0)) : 0;
        if (rows.length < PAGE) vu.state.pagesLeft = 0;
      },
    },
    {
      name: 'scroll-back',
      kind: 'read',
      expectIndex: true,
      sql: queries.PAGE_BEFORE,
      params(vu) {
        vu.state.pagesLeft--;
        return [vu.state.channel, vu.state.cursor];
      },
      after(vu, rows) {
        if (rows.length) vu.state.cursor = Number(rows.value(rows.length - 1, 0));
        if (rows.length < PAGE) vu.state.pagesLeft = 0;
      },
    },
  ],
});
