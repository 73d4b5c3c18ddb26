/**
 * `Mode`, `Owner` and `Group`: the permission bits, owner and group of a
 * path. `File` and `Directory` add them for their `mode`/`owner`/`group`.
 *
 * @example
 * ```ts
 * this.add(new Mode("bin/run", { mode: 0o755 }));     // also "755" or "rwxr-xr-x"
 * this.add(new Owner("data", { owner: "app" }));
 * ```
 */
import { chmodSync, chownSync, existsSync, lstatSync } from "node:fs";
import { basename } from "node:path";
import { Component, ConfigurationError, UpdateNeeded } from "../batou-core.ts";

/** Reads the path's stat, or says the path does not exist yet (it will under -P). */
function statOrUpdate(path: string) {
  if (!existsSync(path)) throw new UpdateNeeded(`${path} does not exist yet`);
  return lstatSync(path);
}

export class Mode extends Component {
  static override namevar = "path";
  path = "";
  mode: number | string = 0o644;

  constructor(path: string, options: { mode: number | string }) {
    super(path, options);
  }

  /** `0o755`, `"755"`, `"0755"` or `"rwxr-xr-x"` → a number. */
  static parse(mode: number | string): number {
    if (typeof mode === "number" && Number.isInteger(mode) && mode >= 0 && mode <= 0o7777) return mode;
    if (typeof mode === "string" && /^[0-7]{3,4}$/.test(mode)) return parseInt(mode, 8);
    if (typeof mode === "string" && /^[r-][w-][xsS-][r-][w-][xsS-][r-][w-][xtT-]$/.test(mode)) {
      let bits = 0;
      for (let i = 0; i < 9; i++) if (!"-ST".includes(mode[i]!)) bits |= 1 << (8 - i);
      return bits;
    }
    throw new ConfigurationError(`invalid mode ${JSON.stringify(mode)}`, { expected: '0o755, "755" or "rwxr-xr-x"' });
  }

  override configure(): void {
    this.path = this.map(this.path);
    this.mode = Mode.parse(this.mode);
  }

  override async verify(): Promise<void> {
    const current = statOrUpdate(this.path).mode & 0o7777;
    if (current !== this.mode) throw new UpdateNeeded(`mode ${current.toString(8)} → ${(this.mode as number).toString(8)}`);
  }

  override async update(): Promise<void> {
    chmodSync(this.path, this.mode as number);
  }

  override get breadcrumb(): string {
    return `Mode('${basename(this.path)}')`;
  }
}

/** Looks up a user or group id with the system's `getent` (names or numbers). */
function lookupId(database: "passwd" | "group", name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const result = Bun.spawnSync(["getent", database, name]);
  const id = Number(result.stdout.toString().split(":")[2]);
  if (result.exitCode !== 0 || !Number.isInteger(id)) {
    throw new ConfigurationError(`unknown ${database === "passwd" ? "user" : "group"} "${name}"`);
  }
  return id;
}

export class Owner extends Component {
  static override namevar = "path";
  path = "";
  owner = "";

  constructor(path: string, options: { owner: string }) {
    super(path, options);
  }

  override configure(): void {
    this.path = this.map(this.path);
  }

  override async verify(): Promise<void> {
    const uid = lookupId("passwd", this.owner);
    if (statOrUpdate(this.path).uid !== uid) throw new UpdateNeeded(`owner is not ${this.owner}`);
  }

  override async update(): Promise<void> {
    chownSync(this.path, lookupId("passwd", this.owner), -1);
  }
}

export class Group extends Component {
  static override namevar = "path";
  path = "";
  group = "";

  constructor(path: string, options: { group: string }) {
    super(path, options);
  }

  override configure(): void {
    this.path = this.map(this.path);
  }

  override async verify(): Promise<void> {
    const gid = lookupId("group", this.group);
    if (statOrUpdate(this.path).gid !== gid) throw new UpdateNeeded(`group is not ${this.group}`);
  }

  override async update(): Promise<void> {
    chownSync(this.path, -1, lookupId("group", this.group));
  }
}
