export function formatUs(us: number): string;
export function formatBytes(bytes: number): string;
export function prepareChart(json: Record<string, unknown>): Record<string, unknown>;
