// One colour per variant, the same in every chart of every page: known variants have fixed
// colours, others get one from their name.

const KNOWN: Record<string, string> = {
  'btree-unpartitioned': '#4e79a7',
  'btree-monthly': '#f28e2b',
  'btree-weekly': '#e15759',
  'brin-monthly': '#59a14f',
  'brin-weekly': '#76b7b2',
  'btree-monthly-fts': '#b07aa1',
  'btree-monthly-no-trigger': '#edc948',
};
const PALETTE = ['#9c755f', '#ff9da7', '#bab0ac', '#1f77b4', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#17becf', '#bcbd22'];

export function variantColor(name: string): string {
  if (KNOWN[name]) return KNOWN[name];
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length];
}
