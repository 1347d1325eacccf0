// The one clock latency is measured with: monotonic, in microseconds (performance.now() has
// sub-microsecond resolution in Node and never jumps with the wall clock). A leaf module.

export function nowUs(): number {
  return performance.now() * 1000;
}

export function sleepUntilUs(targetUs: number, signal?: AbortSignal): Promise<void> {
  const ms = (targetUs - nowUs()) / 1000;
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
