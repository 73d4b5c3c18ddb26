/**
 * Retrying a connection attempt with back-off. Only failures that may go away
 * (refused, unreachable, timed out: {@link isRetryable}) are retried; host key,
 * authentication and configuration errors fail at once.
 *
 * @module
 */
import { isRetryable } from "./ssh-error.ts";

/** Options of {@link connectWithRetry}. */
export interface RetryOptions {
  /** Total attempts, including the first (default 3). */
  attempts?: number;
  /**
   * Seconds to wait after failed attempt `n` (1-based): a function, or a base
   * for exponential back-off with jitter, `base * 2^(n-1) * (0.5..1)`. Default 1.
   */
  backoff?: number | ((attempt: number) => number);
  /** Called before each wait, e.g. to print "host2: connection refused, retrying in 1.4 s". */
  onRetry?: (error: unknown, attempt: number, waitSeconds: number) => void;
  /** Which errors to retry (default: {@link isRetryable}). */
  retryable?: (error: unknown) => boolean;
  /** Aborts the waiting (Ctrl-C). */
  signal?: AbortSignal;
}

/** Runs `connect` until it succeeds or the attempts are used up; rethrows the last error. */
export async function connectWithRetry<T>(connect: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 3);
  const retryable = options.retryable ?? isRetryable;
  const backoff = options.backoff ?? 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect(attempt);
    } catch (error) {
      if (attempt >= attempts || !retryable(error) || options.signal?.aborted) throw error;
      const wait = typeof backoff === "function" ? backoff(attempt) : backoff * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      options.onRetry?.(error, attempt, wait);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, wait * 1000);
        options.signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(error);
        }, { once: true });
      });
    }
  }
}

/** At most `size` pieces of work at once (e.g. SSH handshakes: jump hosts and sshd MaxStartups). */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
