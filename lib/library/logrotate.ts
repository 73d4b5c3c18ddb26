/**
 * `RotatedLogfile` and `Logrotate`: one logrotate configuration for the
 * service user with every rotated log file of the host, and the cron job that
 * runs it. Every `RotatedLogfile` (in any root component on the host) offers
 * itself as the resource `"rotatedlogfile"`, as `CronJob` does for `CronTab`;
 * one `Logrotate` per host collects them, sorted by path, writes
 * `logrotate.conf` in its workdir (the common directives first, then a block
 * per log file) and adds a `CronJob` that runs `logrotate` with a state file
 * beside it, so the host also needs a `CronTab`.
 *
 * @example
 * ```ts
 * // in the app's component
 * this.add(new RotatedLogfile("var/log/*.log", { rotate: 7, postrotate: "kill -USR1 $(cat var/app.pid)" }));
 * // in a component deployed once per host (with the CronTab)
 * this.add(new Logrotate());
 * ```
 *
 * @module
 */
import { Component, ConfigurationError } from "../batou-core.ts";
import { CronJob } from "./cron.ts";
import { File } from "./file.ts";

/** The resource key under which rotated log files are provided. */
export const ROTATEDLOGFILE_RESOURCE = "rotatedlogfile";

/** The directives of every log file unless it says otherwise: batou's Debian defaults. */
export const LOGROTATE_DEFAULTS = ["daily", "rotate 14", "create", "dateext", "compress", "notifempty", "nomail", "noolddir", "missingok", "sharedscripts"];

const FREQUENCIES = new Set(["hourly", "daily", "weekly", "monthly", "yearly"]);

/** A logrotate directive or script must stay inside its block. */
function checkText(component: Component, attribute: string, text: string, script: boolean): void {
  const bad = script ? /^\s*endscript\s*$/m.test(text) : /[\n{}]/.test(text);
  if (bad) {
    throw new ConfigurationError(script ? `${attribute} may not contain a line "endscript"` : `invalid logrotate directive "${text}"`, {
      component: component.breadcrumbs,
      attribute,
      expected: script ? "shell commands" : "one directive without newline or braces",
    });
  }
}

/**
 * A log file (or glob) the host's {@link Logrotate} rotates, with batou's Debian defaults
 * unless its own directives (`rotate`, `size`, `frequency`, `postrotate`, ...) say otherwise.
 * It offers itself as the resource `"rotatedlogfile"`.
 *
 * @example
 * ```ts
 * this.add(new RotatedLogfile("var/log/*.log", { rotate: 7, postrotate: "kill -USR1 $(cat var/app.pid)" }));
 * ```
 */
export class RotatedLogfile extends Component {
  static override namevar = "path";
  /** The log file (or glob); relative paths are inside the workdir. */
  path = "";
  /** How many rotated files to keep. */
  rotate: number | undefined = undefined;
  /** Rotate when the file is larger than this (`"100k"`, `"10M"`, `"1G"`), whatever the frequency. */
  size: string | undefined = undefined;
  /** `hourly`, `daily`, `weekly`, `monthly` or `yearly`. */
  frequency: string | undefined = undefined;
  /** Compress rotated files (`compress` / `nocompress`). */
  compress: boolean | undefined = undefined;
  /** Shell commands run before rotating. */
  prerotate: string | undefined = undefined;
  /** Shell commands run after rotating (e.g. tell the service to reopen its log). */
  postrotate: string | undefined = undefined;
  /** More logrotate directives, one per item (`"copytruncate"`, `"maxage 30"`). */
  args: string[] = [];

  constructor(path: string, options: RotatedLogfileOptions = {}) {
    super(path, options);
  }

  /** The absolute path (or glob) of the log files. */
  get target(): string {
    return this.map(this.path);
  }

  override configure(): void {
    if (/["\n{}]/.test(this.path) || !this.path.trim()) {
      throw new ConfigurationError(`invalid log file path "${this.path}"`, { component: this.breadcrumbs, expected: "a path or glob without quotes, braces or newlines" });
    }
    if (this.rotate !== undefined && !(Number.isInteger(this.rotate) && this.rotate >= 0)) {
      throw new ConfigurationError("rotate is not a whole number ≥ 0", { component: this.breadcrumbs, attribute: "rotate", given: String(this.rotate) });
    }
    if (this.size !== undefined && !/^\d+[kMG]?$/.test(String(this.size))) {
      throw new ConfigurationError(`invalid size "${this.size}"`, { component: this.breadcrumbs, attribute: "size", expected: 'bytes, or a number with k, M or G ("100k", "10M")' });
    }
    if (this.frequency !== undefined && !FREQUENCIES.has(this.frequency)) {
      throw new ConfigurationError(`invalid frequency "${this.frequency}"`, { component: this.breadcrumbs, attribute: "frequency", expected: [...FREQUENCIES].join(", ") });
    }
    if (!Array.isArray(this.args)) throw new ConfigurationError("args is not a list", { component: this.breadcrumbs, attribute: "args", expected: "a list of directives" });
    for (const directive of this.args) checkText(this, "args", String(directive), false);
    for (const script of ["prerotate", "postrotate"] as const) if (this[script] !== undefined) checkText(this, script, this[script]!, true);
    this.provide(ROTATEDLOGFILE_RESOURCE, this);
  }

  /** The directives of this file's block, in order. */
  get directives(): string[] {
    const lines: string[] = [];
    if (this.frequency !== undefined) lines.push(this.frequency);
    if (this.rotate !== undefined) lines.push(`rotate ${this.rotate}`);
    if (this.size !== undefined) lines.push(`size ${this.size}`);
    if (this.compress !== undefined) lines.push(this.compress ? "compress" : "nocompress");
    lines.push(...this.args.map(String));
    return lines;
  }

  /** The configuration block for this file. */
  get block(): string {
    const indent = (text: string) => text.trim().split("\n").map((line) => `        ${line}`);
    const lines = [`"${this.target}" {`, ...this.directives.map((line) => `    ${line}`)];
    for (const script of ["prerotate", "postrotate"] as const) {
      if (this[script]?.trim()) lines.push(`    ${script}`, ...indent(this[script]!), "    endscript");
    }
    lines.push("}");
    return lines.join("\n") + "\n";
  }
}

/** The options of {@link RotatedLogfile}. */
export type RotatedLogfileOptions = Partial<Pick<RotatedLogfile, "rotate" | "size" | "frequency" | "compress" | "prerotate" | "postrotate" | "args">>;

/** A word for `sh`, quoted when needed. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The service user's logrotate: `logrotate.conf` in its workdir with every
 * {@link RotatedLogfile} of the host, and a {@link CronJob} that runs `logrotate` with a
 * state file beside it (so the host needs a `CronTab` too). One per host.
 *
 * @example
 * ```ts
 * this.add(new Logrotate());
 * ```
 */
export class Logrotate extends Component {
  /** Directives for every file, before the blocks (default: `LOGROTATE_DEFAULTS`). */
  common: string[] = [...LOGROTATE_DEFAULTS];
  /** When the cron job runs logrotate (default `"45 2 * * *"`). */
  timing = "45 2 * * *";
  /** The logrotate program (default `/usr/sbin/logrotate`). */
  logrotate = "/usr/sbin/logrotate";

  constructor(options: LogrotateOptions = {}) {
    super(options);
  }

  /** The configuration file's absolute path. */
  get configPath(): string {
    return this.map("logrotate.conf");
  }

  /** The state file logrotate keeps (when each file was rotated last). */
  get statePath(): string {
    return this.map("logrotate.state");
  }

  /** The command the cron job runs. */
  get command(): string {
    return [this.logrotate, "-s", this.statePath, this.configPath].map(shellWord).join(" ");
  }

  override configure(): void {
    if (!Array.isArray(this.common)) throw new ConfigurationError("common is not a list", { component: this.breadcrumbs, attribute: "common", expected: "a list of directives" });
    for (const directive of this.common) checkText(this, "common", String(directive), false);
    const logfiles = this.require<RotatedLogfile>(ROTATEDLOGFILE_RESOURCE, { host: this.host, strict: false });
    const byPath = new Map<string, RotatedLogfile>();
    for (const logfile of logfiles) {
      const other = byPath.get(logfile.target);
      if (other) {
        throw new ConfigurationError(`two RotatedLogfile components for ${logfile.target}`, {
          component: this.breadcrumbs,
          first: other.breadcrumbs,
          second: logfile.breadcrumbs,
          hint: "logrotate refuses a file named in two blocks: keep one",
        });
      }
      byPath.set(logfile.target, logfile);
    }
    const blocks = [...byPath.keys()].sort().map((path) => byPath.get(path)!.block);
    const content = ["# Generated by batou. Do not edit.", ...this.common.map(String), "", blocks.join("\n")].join("\n");
    this.add(new File("logrotate.conf", { content }));
    this.add(new CronJob(this.command, { timing: this.timing }));
  }
}

/** The options of {@link Logrotate}. */
export type LogrotateOptions = Partial<Pick<Logrotate, "common" | "timing" | "logrotate">>;
