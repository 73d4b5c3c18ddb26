/**
 * What a deployment reports, as plain values. Components and the scheduler
 * emit these; the reporter prints them as text or `--json` lines, and remote
 * agents send them over the SSH channel unchanged.
 */
export type DeployEvent =
  /**
   * A component was verified; `changed` when it or a child needed an update, `updated` when it
   * did itself; `seconds` its time, its sub-components' included.
   */
  | { event: "component"; host: string; component: string; changed: boolean; updated?: boolean; root: string; seconds?: number }
  /** A message from `this.log()` during verify/update, or from configure once converged. */
  | { event: "log"; host: string; component: string; message: string }
  /** What a file change looks like: a unified diff, or a note why none is shown. */
  | { event: "diff"; host: string; component: string; path: string; diff?: string; note?: string }
  /** Something worth knowing that does not stop the run. */
  | { event: "warning"; host?: string; component?: string; message: string }
  /** A root component starts deploying on a host, is done, or is skipped (host ignored, host excluded by --hosts/--exclude-hosts, component ignored). */
  | { event: "root"; host: string; root: string; status: "start" | "skip-host" | "skip-excluded" | "skip-component" | "done"; changed?: number; seconds?: number }
  /**
   * A host connection changed state: `connecting`, `connected`, `shipped-executable`, `shipped`
   * (the project), `configured`. `seconds`: how long the step took; `bytes`: sent by a shipping
   * step; `files`: project files that changed; `detail`: a description for `--debug` (`"local"`
   * for a host deployed in this process).
   */
  | { event: "host"; host: string; status: string; seconds?: number; bytes?: number; files?: number; detail?: string }
  /** Bytes of `what` ("batou", the executable, or "project") sent so far (of `total`, when known); only for the live status line, not in `--json`. */
  | { event: "progress"; host: string; what: string; bytes: number; total?: number }
  /** A line for `--debug` (the reporter drops it otherwise). */
  | { event: "debug"; message: string }
  /**
   * Always last. `components`: those verified (with -c: those configured); `during`: the phase
   * a failed run stopped in.
   */
  | {
      event: "summary";
      ok: boolean;
      changed: number;
      hosts: number;
      components: number;
      seconds: number;
      mode: string;
      phases: Record<string, number>;
      during?: string;
    };

/** Where events go. */
export type EventSink = (event: DeployEvent) => void;

/** What components need while they deploy: predict mode and where to report. */
export interface DeploySession {
  /** `-P`: verify runs, update never does. */
  predicting: boolean;
  emit: EventSink;
  /** Secret values: a diff whose text contains one is not shown. */
  secretValues: readonly string[];
  /** Aborted when the deployment must stop (Ctrl-C, the agent's stdin closed): the tree stops before its next component. */
  stop?: AbortSignal;
  /**
   * While the events' reader is behind (the agent's stdout has not taken what it was given): a
   * promise that resolves when it caught up; the tree waits for it before its next component.
   * Without it, a tree of thousands of diffs buffered all of them in memory (10,000 new files:
   * 11 MB of events).
   */
  room?: () => Promise<void> | undefined;
}
