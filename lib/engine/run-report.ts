/**
 * The output side of one deployment run: every event counted into one tally
 * on its way to the reporter, the phase times, the failure message and the
 * summary (emitted once, however the run ends).
 */
import { BatouError } from "./errors.ts";
import type { EventSink } from "./events.ts";
import type { Reporter } from "./reporter.ts";
import { Tally } from "./tally.ts";

/** The timed phases of a run. */
export type Phase = "load" | "configure" | "connect" | "deploy";

/** The run's output side: events counted into one tally, phase times, the summary (once). */
export class RunReport {
  readonly tally = new Tally();
  readonly phases: Record<string, number> = {};
  hosts = 0;
  /** Every root this run deploys (`host/name`: not ignored, its host not left out), once configured. */
  roots: string[] = [];
  current: Phase = "load";
  private readonly started = performance.now();
  private summarized = false;

  constructor(
    readonly reporter: Reporter,
    readonly mode: string,
  ) {}

  readonly emit: EventSink = (event) => {
    this.tally.count(event);
    this.reporter.emit(event);
  };

  async phase<T>(name: Phase, work: () => Promise<T> | T): Promise<T> {
    this.current = name;
    const begin = performance.now();
    try {
      return await work();
    } finally {
      this.phases[name] = (performance.now() - begin) / 1000;
    }
  }

  /** The changed hosts, for messages. */
  changedHosts(): string {
    return this.tally.changedHosts.join(", ") || "none";
  }

  /** What an interrupt leaves undone: the roots it stops halfway and those it never starts (nothing before configure). */
  undone(): Record<string, string> {
    if (!this.roots.length) return {};
    const { runningRoots, doneRoots } = this.tally;
    return {
      "stopped halfway": [...runningRoots].join(", ") || "none",
      "not started": this.roots.filter((id) => !doneRoots.has(id) && !runningRoots.has(id)).join(", ") || "none",
    };
  }

  /** Emits the summary (an interrupt and the unwinding run may both get here: the first wins); returns `code`. */
  finish(ok: boolean, code: number): number {
    if (!this.summarized) {
      this.summarized = true;
      const { changed, components } = this.tally;
      const seconds = (performance.now() - this.started) / 1000;
      const during = ok ? undefined : this.current;
      this.reporter.emit({ event: "summary", ok, changed, hosts: this.hosts, components, mode: this.mode, seconds, phases: this.phases, during });
    }
    return code;
  }

  /** Reports a failure of the run, and after deploy started what changed; returns the exit status. */
  fail(error: unknown): number {
    this.reporter.error(error);
    if (this.current === "deploy") {
      this.reporter.error(new BatouError(`the ${this.mode.toLowerCase()} stopped`, { "changed hosts": this.changedHosts() }));
    }
    return this.finish(false, 1);
  }
}
