/**
 * Turns deploy events into what the user reads: text lines (colour only on a
 * terminal and never with NO_COLOR) or, with `--json`, one JSON object per
 * line. Errors are printed by lib/engine/error-printer.ts; stack traces only with
 * `--debug`. Once the secrets are known (`hideSecrets`), every secret value is
 * masked in everything printed, except the messages a component logs itself
 * with `this.log()`: those are printed as given. Text lines show control
 * characters escaped (names, diffs and logs come from files and hosts).
 */
import pc from "picocolors";
import { MIN_SECRET_LENGTH } from "./diff.ts";
import { errorEvent, errorLines, errorReports } from "./error-printer.ts";
import type { DeployEvent } from "./events.ts";
import { colorWanted, escapeLinesForTerminal } from "../terminal.ts";
import { LiveLine, LiveStatus, type Terminal } from "./live-status.ts";
import { progressLine } from "./progress-lines.ts";
import { SlowComponents } from "./slow-components.ts";

export interface ReporterOptions {
  json: boolean;
  debug: boolean;
  color?: boolean;
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Where a live status line is drawn (default: stdout when it is a terminal and not --json); null for none. */
  terminal?: Terminal | null;
}

/** What a secret value is replaced with in output. */
export const SECRET_MASK = "<secret>";

/** Stdout as the live line's terminal, when it is one that can redraw a line. */
function stdoutTerminal(): Terminal | null {
  if (!process.stdout.isTTY || process.env.TERM === "dumb") return null;
  return { write: (text) => void process.stdout.write(text), columns: () => process.stdout.columns || 80 };
}

export class Reporter {
  readonly json: boolean;
  readonly debugMode: boolean;
  private readonly c: ReturnType<typeof pc.createColors>;
  private readonly out: (line: string) => void;
  private readonly err: (line: string) => void;
  /** Unmasked stdout: `this.log()` messages, and JSON lines (masked by `maskDeep` before serializing). */
  private readonly rawOut: (line: string) => void;
  /** Secret values to mask, longest first. */
  private secrets: string[] = [];
  /** The component whose "changed" line was printed last (its diffs and logs follow it). */
  private announced = "";
  private readonly slow = new SlowComponents();
  /** The live status line (text output on a terminal only). */
  private readonly live?: LiveLine;

  constructor(options: ReporterOptions) {
    this.json = options.json;
    this.debugMode = options.debug;
    this.c = pc.createColors(options.color ?? colorWanted(process.stdout));
    const terminal = options.terminal === undefined ? stdoutTerminal() : options.terminal;
    if (terminal && !options.json) this.live = new LiveLine(new LiveStatus(), terminal, (text) => this.mask(text));
    // every line is printed above the live line: it is hidden first (and redrawn by its timer)
    const above = (write: (line: string) => void) => (line: string) => {
      this.live?.hide();
      write(line);
    };
    const out = above(options.out ?? ((line) => process.stdout.write(line + "\n")));
    const err = above(options.err ?? ((line) => process.stderr.write(line + "\n")));
    this.rawOut = out;
    this.out = (line) => out(this.mask(line));
    this.err = (line) => err(this.mask(line));
  }

  /**
   * Masks these secret values from now on (values shorter than
   * `MIN_SECRET_LENGTH` stay visible: they would mask too much).
   */
  hideSecrets(values: readonly string[]): void {
    const all = new Set([...this.secrets, ...values.filter((value) => value.length >= MIN_SECRET_LENGTH)]);
    this.secrets = [...all].sort((a, b) => b.length - a.length);
  }

  /** `text` with every secret value replaced by `SECRET_MASK`. */
  mask(text: string): string {
    for (const secret of this.secrets) if (text.includes(secret)) text = text.split(secret).join(SECRET_MASK);
    return text;
  }

  /**
   * `value` with every string in it masked and every number equal to a secret replaced
   * (for `--json`: masked before serializing, so the JSON line stays valid).
   */
  private maskDeep<T>(value: T): T {
    if (this.secrets.length === 0) return value;
    if (typeof value === "string") return this.mask(value) as T;
    if (typeof value === "number" && this.secrets.includes(String(value))) return SECRET_MASK as T;
    if (Array.isArray(value)) return value.map((item) => this.maskDeep(item)) as T;
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [this.mask(key), this.maskDeep(item)])) as T;
    }
    return value;
  }

  /** Reports one event. Bound, so it can be passed around as an `EventSink`. */
  readonly emit = (event: DeployEvent): void => {
    if (event.event === "debug" && !this.debugMode) return;
    if (this.json) {
      if (event.event === "progress") return; // for the live line only
      // A component's own log message is printed as given: the user asked for it.
      if (event.event === "log") this.rawOut(JSON.stringify(event));
      else this.rawOut(JSON.stringify(this.maskDeep(event)));
      return;
    }
    const { c } = this;
    // masked before it is escaped: an escaped secret would no longer match its mask
    event = escapedEvent(event.event === "log" ? event : this.maskDeep(event));
    if (event.event === "summary") this.live?.stop();
    else this.live?.observe(event);
    const progress = progressLine(event, this.live !== undefined);
    if (progress) this.out(c.dim(progress));
    switch (event.event) {
      case "component":
        if (event.updated ?? event.changed) this.announce(event.host, event.component);
        if (this.slow.isSlow(event)) this.out(c.dim(`${event.host}: ${event.component} took ${event.seconds!.toFixed(2)}s`));
        break;
      case "diff":
        this.announce(event.host, event.component);
        if (event.note) this.out(`    ${c.dim(event.path)}: ${c.yellow(event.note)}`);
        for (const line of event.diff?.split("\n") ?? []) {
          if (line === "") continue;
          const colored = line.startsWith("+") ? c.green(line) : line.startsWith("-") ? c.red(line) : line.startsWith("@@") ? c.cyan(line) : line;
          this.out(`    ${colored}`);
        }
        break;
      case "log":
        this.rawOut(`${c.bold(this.mask(event.host))}: ${event.message}${event.component ? c.dim(`  (${this.mask(event.component)})`) : ""}`);
        break;
      case "warning":
        this.err(c.yellow(`WARN: ${event.host ? `${event.host}: ` : ""}${event.message}`));
        break;
      case "host":
        if (this.debugMode) this.err(c.dim(`debug: ${event.host}: ${event.status}${event.detail ? ` (${event.detail})` : ""}`));
        break;
      case "debug":
        this.err(c.dim(`debug: ${event.message}`));
        break;
      case "summary":
        this.printSummary(event);
        break;
    }
  };

  /** Prints `host: component` once, before the component's diffs. */
  private announce(host: string, component: string): void {
    const key = `${host}\u0000${component}`;
    if (this.announced === key) return;
    this.announced = key;
    this.out(`${this.c.bold(host)}: ${this.c.yellow(component)}`);
  }

  /** A line only shown with `--debug`. Bound, so it can be passed around. */
  readonly debug = (message: string): void => this.emit({ event: "debug", message });

  /** Reports any thrown value through the error printer (lib/engine/error-printer.ts), masked. */
  error(error: unknown): void {
    for (const report of errorReports(error, { debugHint: "run with --debug for the stack trace" })) {
      if (this.json) this.rawOut(JSON.stringify(this.maskDeep(errorEvent(report))));
      else for (const line of errorLines(report, { colors: this.c, debug: this.debugMode })) this.err(line);
    }
  }

  private printSummary(event: Extract<DeployEvent, { event: "summary" }>): void {
    const { c } = this;
    const phases = Object.entries(event.phases)
      .map(([name, seconds]) => `${name}=${seconds.toFixed(2)}s`)
      .join(", ");
    const outcome = event.ok ? "finished" : `FAILED${event.during ? ` (during ${event.during})` : ""}`;
    const line =
      event.mode === "Consistency check" && event.ok
        ? `${event.mode} ${outcome}: ${plural(event.components, "component")} on ${plural(event.hosts, "host")} are consistent (${event.seconds.toFixed(2)}s: ${phases})`
        : `${event.mode} ${outcome}: ${event.changed} changed component(s) of ${event.components} on ${event.hosts} host(s) in ${event.seconds.toFixed(2)}s (${phases})`;
    this.out(event.ok ? c.green(c.bold(line)) : c.red(c.bold(line)));
  }
}

/** `event` with every string in it escaped for the terminal (line breaks kept). */
function escapedEvent<T>(value: T): T {
  if (typeof value === "string") return escapeLinesForTerminal(value) as T;
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(escapedEvent) as T;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, escapedEvent(item)])) as T;
}

/** "1 host", "2 hosts". */
const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;
