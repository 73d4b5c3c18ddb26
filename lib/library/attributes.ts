import { chmodSync, closeSync, constants, fchmodSync, lchownSync, type Stats } from "node:fs";
import { basename } from "node:path";
import { Component, ConfigurationError, DeploymentError, UpdateNeeded } from "../batou-core.ts";
import { checkParents, type Found, lookAt, openNoFollow } from "./safe-path.ts";

/**
 * The base of `Mode`, `Owner` and `Group`: one property of one path, compared
 * and changed on the path itself, never through a symlink (a symlink's owner
 * and group are its own, changed with lchown; Linux has no mode for a symlink,
 * so `Mode` leaves one alone). A change is logged with the old and the new
 * value.
 */
export abstract class PathAttribute<T> extends Component {
  static override namevar = "path";
  /** The path; relative paths are inside the workdir. */
  path = "";

  /** Checks the wanted value when configured (a missing or invalid one is an error). */
  protected abstract check(): void;
  /** The wanted value (looked up at deploy time: a user may be created by an earlier component). */
  protected abstract wanted(): T;
  /** The current value of the path (`undefined`: nothing to manage, e.g. a symlink's mode). */
  protected abstract current(stat: Stats, symlink: boolean): T | undefined;
  protected abstract show(value: T): string;
  /** Sets the value on the path (never through a symlink). */
  protected abstract apply(value: T, found: Found): void;

  override configure(): void {
    this.path = this.map(this.path);
    this.check();
  }

  /**
   * How the path would change ("mode 0644 → 0755"), or undefined when it is
   * right; a path that does not exist yet changes (under -P it will exist).
   */
  pendingChange(): string | undefined {
    checkParents(this.path, { component: this.breadcrumbs });
    const found = lookAt(this.path);
    if (found.kind === "missing") return `${this.path} does not exist yet`;
    const current = this.current(found.stat, found.kind === "symlink");
    const wanted = this.wanted();
    if (current === undefined || current === wanted) return undefined;
    return `${this.constructor.name.toLowerCase()} ${this.show(current)} → ${this.show(wanted)}`;
  }

  /** Makes the path right (does nothing when it is). */
  applyChange(): void {
    checkParents(this.path, { component: this.breadcrumbs });
    const found = lookAt(this.path);
    if (found.kind === "missing") throw new DeploymentError(`${this.path} does not exist`, { component: this.breadcrumbs });
    const current = this.current(found.stat, found.kind === "symlink");
    const wanted = this.wanted();
    if (current !== undefined && current !== wanted) this.apply(wanted, found);
  }

  override async verify(): Promise<void> {
    const change = this.pendingChange();
    if (change === undefined) return;
    this.log(change);
    throw new UpdateNeeded(change);
  }

  override async update(): Promise<void> {
    this.applyChange();
  }

  override get breadcrumb(): string {
    return `${this.constructor.name}('${basename(this.path)}')`;
  }
}

/**
 * `Mode`: the permission bits of a path, given as `0o755`, `"755"`, `"0755"`
 * or `"rwxr-xr-x"`. On a symlink it does nothing (Linux has no lchmod; a chmod
 * would change the link's target, a file batou was never asked to manage).
 *
 * @example
 * ```ts
 * this.add(new Mode("bin/run", { mode: 0o755 }));
 * ```
 */
export class Mode extends PathAttribute<number> {
  /** The bits: `0o755`, `"755"`, `"0755"` or `"rwxr-xr-x"` (required). */
  mode: number | string | undefined = undefined;

  // Not Pick<Mode, "mode">: the option is required, while the field is undefined until given.
  constructor(path: string, options: { mode: number | string }) {
    super(path, options);
  }

  /** `0o755`, `"755"`, `"0755"`, `"0o755"` or `"rwxr-xr-x"` → a number. */
  static parse(mode: number | string): number {
    if (typeof mode === "number" && Number.isInteger(mode) && mode >= 0 && mode <= 0o7777) return mode;
    if (typeof mode === "string" && /^(0o)?[0-7]{3,4}$/.test(mode)) return parseInt(mode.replace(/^0o/, ""), 8);
    if (typeof mode === "string" && /^[r-][w-][xsS-][r-][w-][xsS-][r-][w-][xtT-]$/.test(mode)) {
      let bits = 0;
      for (let i = 0; i < 9; i++) if (!"-ST".includes(mode[i]!)) bits |= 1 << (8 - i);
      return bits;
    }
    throw new ConfigurationError(`invalid mode ${JSON.stringify(mode)}`, { expected: '0o755, "755" or "rwxr-xr-x"' });
  }

  /**
   * `mode` parsed for `component` (which names it in the error). Components
   * with a `mode` option call it in their own configure(), so that an error's
   * stack still reaches the user's line.
   */
  static parseFor(mode: number | string, component: Component): number {
    try {
      return Mode.parse(mode);
    } catch (error) {
      throw new ConfigurationError((error as Error).message, { ...(error as ConfigurationError).context, component: component.breadcrumbs });
    }
  }

  protected check(): void {
    if (this.mode === undefined || this.mode === null) {
      throw new ConfigurationError(`Mode('${this.path}') needs a mode`, { component: this.breadcrumbs, expected: '0o755, "755" or "rwxr-xr-x"' });
    }
    this.mode = Mode.parseFor(this.mode, this);
  }

  protected wanted(): number {
    return this.mode as number;
  }

  protected current(stat: Stats, symlink: boolean): number | undefined {
    return symlink ? undefined : stat.mode & 0o7777;
  }

  protected show(value: number): string {
    return value.toString(8).padStart(4, "0");
  }

  protected apply(value: number, found: Found): void {
    // A device, FIFO or socket is not opened (that could have effects): chmod by name, just checked.
    if (found.kind === "other") return chmodSync(this.path, value);
    // Through a descriptor opened without following a symlink, so a path swapped for a
    // symlink since it was looked at cannot redirect the chmod.
    let fd: number | undefined;
    try {
      fd = openNoFollow(this.path, constants.O_RDONLY);
    } catch (error) {
      // No read permission (the mode being fixed may be 000): chmod by name, just checked.
      if ((error as NodeJS.ErrnoException).code !== "EACCES") throw error;
      chmodSync(this.path, value);
      return;
    }
    try {
      fchmodSync(fd, value);
    } finally {
      closeSync(fd);
    }
  }
}

/** Looks up a user or group id with the system's `getent` (names or numbers). */
function lookupId(database: "passwd" | "group", name: string, component: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const result = Bun.spawnSync(["getent", database, name]);
  const id = Number(result.stdout.toString().split(":")[2]);
  if (result.exitCode !== 0 || !Number.isInteger(id)) {
    throw new ConfigurationError(`unknown ${database === "passwd" ? "user" : "group"} "${name}"`, { component });
  }
  return id;
}

/** The name of a user or group id, or the id when it has none. */
function nameOf(database: "passwd" | "group", id: number): string {
  const result = Bun.spawnSync(["getent", database, String(id)]);
  return result.exitCode === 0 ? result.stdout.toString().split(":")[0]! : String(id);
}

/** The base of `Owner` and `Group`: an id given by name or number, looked up at deploy time, set with lchown. */
abstract class Ownership extends PathAttribute<number> {
  /** The owner or group as given, and where it lives: the user or the group database. */
  protected abstract given(): { name: string; database: "passwd" | "group" };

  protected check(): void {
    const { name, database } = this.given();
    if (!name) throw new ConfigurationError(`${this.constructor.name}('${this.path}') needs ${database === "passwd" ? "an owner" : "a group"}`, { component: this.breadcrumbs });
  }

  protected wanted(): number {
    const { name, database } = this.given();
    return lookupId(database, String(name), this.breadcrumbs);
  }

  protected current(stat: Stats): number {
    return this.given().database === "passwd" ? stat.uid : stat.gid;
  }

  protected show(id: number): string {
    return nameOf(this.given().database, id);
  }

  protected apply(id: number): void {
    if (this.given().database === "passwd") lchownSync(this.path, id, -1);
    else lchownSync(this.path, -1, id);
  }
}

/**
 * `Owner`: the owner of a path (a user name or a numeric id, looked up at
 * deploy time, so a user that an earlier component creates works). A symlink's
 * own owner is changed, never its target's.
 *
 * @example
 * ```ts
 * this.add(new Owner("data", { owner: "www-data" }));
 * ```
 */
export class Owner extends Ownership {
  /** A user name or a numeric uid. */
  owner = "";

  constructor(path: string, options: Pick<Owner, "owner">) {
    super(path, options);
  }

  protected given() {
    return { name: this.owner, database: "passwd" } as const;
  }
}

/**
 * `Group`: the group of a path (a group name or a numeric id, looked up at
 * deploy time). A symlink's own group is changed, never its target's.
 *
 * @example
 * ```ts
 * this.add(new Group("shared", { group: "www-data" }));
 * ```
 */
export class Group extends Ownership {
  /** A group name or a numeric gid. */
  group = "";

  constructor(path: string, options: Pick<Group, "group">) {
    super(path, options);
  }

  protected given() {
    return { name: this.group, database: "group" } as const;
  }
}
