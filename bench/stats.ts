/** Small statistics for benchmark samples (seconds). */
export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

/** Runs `fn` `runs` times after one warm-up and returns the wall times in seconds. */
export async function measure(runs: number, fn: () => Promise<void> | void): Promise<number[]> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push((performance.now() - start) / 1000);
  }
  return samples;
}
