/**
 * The live status line of a deployment on a terminal: what every host is
 * doing right now (connecting, shipping with bytes and rate, configuring,
 * the roots it deploys and for how long), built from the deploy events
 * alone. {@link LiveStatus} only computes the text; the reporter draws it
 * below the printed lines and redraws it while work is in flight.
 */
import type { DeployEvent } from "./events.ts";

interface Transfer {
  what: string;
  bytes: number;
  total?: number;
  /** When the first progress event of this transfer came (ms). */
  since: number;
}

interface HostState {
  /** What the host does when no root runs there; undefined when idle. */
  doing?: string;
  transfer?: Transfer;
  /** Roots deploying there → when each started (ms). */
  roots: Map<string, number>;
}

const SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";

export class LiveStatus {
  private readonly hosts = new Map<string, HostState>();
  private frame = 0;

  constructor(private readonly began = performance.now()) {}

  /** Takes in one event (`now`: its time, for rates and durations). */
  observe(event: DeployEvent, now = performance.now()): void {
    if (event.event !== "host" && event.event !== "progress" && event.event !== "root") return;
    const state: HostState = this.hosts.get(event.host) ?? { roots: new Map() };
    this.hosts.set(event.host, state);
    if (event.event === "progress") {
      if (state.transfer?.what !== event.what) state.transfer = { what: event.what, bytes: 0, since: now };
      state.transfer.bytes = event.bytes;
      state.transfer.total = event.total;
      state.doing = undefined;
    } else if (event.event === "host") {
      state.transfer = undefined;
      // a local host's "connection" is this process: nothing follows it
      state.doing = event.detail === "local" ? undefined : NEXT_STEP[event.status];
    } else if (event.status === "start") {
      state.roots.set(event.root, now);
    } else {
      state.roots.delete(event.root);
    }
  }

  /** The status text, at most `columns - 1` characters; "" when nothing is in flight. */
  render(columns: number, now = performance.now()): string {
    const parts: string[] = [];
    for (const [host, state] of this.hosts) {
      if (state.transfer) parts.push(`${host}: ${describeTransfer(state.transfer, now)}`);
      else if (state.roots.size) parts.push(`${host}: ${[...state.roots].map(([root, since]) => `${root} ${seconds(now - since)}`).join(", ")}`);
      else if (state.doing) parts.push(`${host}: ${state.doing}`);
    }
    if (parts.length === 0) return "";
    const spinner = SPINNER[this.frame++ % SPINNER.length];
    const line = `${spinner} ${seconds(now - this.began)}  ${parts.join(" · ")}`;
    return line.length < columns ? line : `${line.slice(0, Math.max(0, columns - 2))}…`;
  }
}

/** After a host event with this status, the host is busy with this (absent: idle, or a root tells). */
const NEXT_STEP: Record<string, string | undefined> = {
  connecting: "connecting",
  // the probe, then (on a fresh host) hashing and packing the executable to ship
  connected: "preparing batou",
  "shipped-executable": "starting batou",
  shipped: "configuring",
};

function describeTransfer(transfer: Transfer, now: number): string {
  const elapsed = (now - transfer.since) / 1000;
  const rate = elapsed > 0.2 && transfer.bytes > 0 ? `, ${formatBytes(transfer.bytes / elapsed)}/s` : "";
  const of = transfer.total ? ` of ${formatBytes(transfer.total)}` : "";
  return `shipping ${transfer.what} ${formatBytes(transfer.bytes)}${of}${rate}`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** `53.0 MB`, `812 B` (decimal units, as rsync and most tools print rates). */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Where the live line is drawn: a terminal's stdout. */
export interface Terminal {
  write(text: string): void;
  columns(): number;
}

/** How often the live line is redrawn while work is in flight (spinner, rates, durations). */
const REDRAW_MS = 150;

/** Clears the current terminal line. */
const CLEAR = "\r\x1b[2K";

/**
 * The live line on a terminal: drawn every {@link REDRAW_MS} while there is
 * something in flight, and hidden while a line is printed above it (it comes
 * back with the next redraw, so bursts of lines are not slowed down by it).
 * A run that finishes within one interval never shows it.
 */
export class LiveLine {
  private shown = false;
  private timer?: ReturnType<typeof setInterval>;
  private stopped = false;

  constructor(
    private readonly status: LiveStatus,
    private readonly terminal: Terminal,
    private readonly mask: (text: string) => string,
  ) {}

  observe(event: DeployEvent): void {
    this.status.observe(event);
    if (this.stopped || this.timer) return;
    this.timer = setInterval(() => this.redraw(), REDRAW_MS);
    this.timer.unref?.();
  }

  /** Before a line is printed. */
  hide(): void {
    if (!this.shown) return;
    this.terminal.write(CLEAR);
    this.shown = false;
  }

  private redraw(): void {
    const text = this.status.render(this.terminal.columns());
    if (text) {
      this.terminal.write(`${CLEAR}${this.mask(text)}`);
      this.shown = true;
    } else {
      this.hide();
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Removes the line for good (before the summary). */
  stop(): void {
    this.hide();
    this.stopped = true;
    clearInterval(this.timer);
  }
}
