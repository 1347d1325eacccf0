// The one clock latency is measured with: monotonic, in microseconds (performance.now() has
// sub-microsecond resolution in Node and never jumps with the wall clock). A leaf module.

export function nowUs(): number {
  return performance.now() * 1000;
}

export function sleepUntilUs(targetUs: number, signal?: AbortSignal): Promise<void> {
  const ms = (targetUs - nowUs()) / 1000;
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
