import { existsSync, readFileSync, statSync } from "node:fs";
import { Component, ConfigurationError, UpdateNeeded, writeFileAtomic } from "../batou-core.ts";
import { Mode } from "./attributes.ts";

/** bcryptjs, loaded on first use: its modules cost every agent's start ~5 ms, also where no htpasswd file is managed. */
let bcryptModule: typeof import("bcryptjs") | undefined;
const bcrypt = () => (bcryptModule ??= require("bcryptjs") as typeof import("bcryptjs"));

/** What the file should hold, given what it holds: hashes that still verify are kept. */
export interface HtpasswdPlan {
  content: string;
  added: string[];
  removed: string[];
  rehashed: string[];
}

/** Reads `user:hash` lines (other lines are dropped). */
export function parseHtpasswd(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) entries.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return entries;
}

/** True when `hash` is a bcrypt hash that `password` verifies (Apache writes `$2y$`, bcryptjs reads it as `$2b$`). */
export function verifiesBcrypt(password: string, hash: string | undefined): boolean {
  if (!hash || !/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) return false;
  return bcrypt().compareSync(password, hash.replace(/^\$2y\$/, "$2b$"));
}

/** The file's new content: users sorted by name, each line `user:hash`. */
export function planHtpasswd(current: string, users: Record<string, string>, cost: number): HtpasswdPlan {
  const existing = parseHtpasswd(current);
  const names = Object.keys(users).sort();
  const added: string[] = [];
  const rehashed: string[] = [];
  const lines = names.map((name) => {
    const old = existing.get(name);
    if (verifiesBcrypt(users[name]!, old)) return `${name}:${old}`;
    (old === undefined ? added : rehashed).push(name);
    return `${name}:${bcrypt().hashSync(users[name]!, cost)}`;
  });
  const removed = [...existing.keys()].filter((name) => !(name in users)).sort();
  return { content: lines.length ? lines.join("\n") + "\n" : "", added, removed, rehashed };
}

/**
 * `Htpasswd`: an htpasswd file (Apache, nginx) holding exactly the given
 * users, each with a bcrypt hash of its password. A hash already in the file
 * is kept while its password still verifies, so a second deploy changes
 * nothing (bcrypt salts every hash anew: rehashing would rewrite the file on
 * every deploy). Passwords are never shown: a change is reported as the users
 * added, removed or given a new password, never as a diff.
 *
 * @example
 * ```ts
 * this.add(new Htpasswd("htpasswd", { users: { alice: this.alicePassword, bob: this.bobPassword } }));
 * ```
 */
export class Htpasswd extends Component {
  static override namevar = "path";
  /** The file; relative paths are inside the workdir. */
  path = "";
  /** User name → password (usually from the environment's secrets). */
  users: Record<string, string> = {};
  /** bcrypt cost factor for new hashes (4–31, default 10). */
  cost = 10;
  /** Permission bits of the file (default 0o640). */
  mode: number | string = 0o640;

  /** What verify found, for update. */
  private _plan?: HtpasswdPlan;

  constructor(path: string, options: HtpasswdOptions) {
    super(path, options);
  }

  get target(): string {
    return this.map(this.path);
  }

  override configure(): void {
    if (typeof this.users !== "object" || this.users === null || Array.isArray(this.users)) {
      throw new ConfigurationError("users is not a table", { component: this.breadcrumbs, attribute: "users", expected: "a table of user name to password" });
    }
    for (const [name, password] of Object.entries(this.users)) {
      if (!/^[^\s:#]+$/.test(name)) {
        throw new ConfigurationError(`invalid user name "${name}"`, {
          component: this.breadcrumbs,
          attribute: "users",
          expected: "no colon, no whitespace, not starting with #",
        });
      }
      if (typeof password !== "string" || password === "") {
        throw new ConfigurationError(`user "${name}" has no password`, { component: this.breadcrumbs, attribute: "users", expected: "a non-empty string" });
      }
      // bcrypt looks at the first 72 bytes only: a longer password would verify with any tail.
      if (Buffer.byteLength(password) > 72) {
        throw new ConfigurationError(`the password of "${name}" is longer than 72 bytes, which bcrypt cannot hash`, {
          component: this.breadcrumbs,
          attribute: "users",
        });
      }
    }
    if (!Number.isInteger(this.cost) || this.cost < 4 || this.cost > 31) {
      throw new ConfigurationError("cost is out of range", { component: this.breadcrumbs, attribute: "cost", expected: "a whole number from 4 to 31", given: String(this.cost) });
    }
    try {
      this.mode = Mode.parse(this.mode);
    } catch (error) {
      if (error instanceof ConfigurationError) error.context.component ??= this.breadcrumbs;
      throw error;
    }
  }

  override async verify(): Promise<void> {
    const current = existsSync(this.target) ? readFileSync(this.target, "utf8") : "";
    const plan = planHtpasswd(current, this.users, this.cost);
    const exists = existsSync(this.target);
    const mode = exists ? statSync(this.target).mode & 0o7777 : undefined;
    if (exists && plan.content === current && mode === this.mode) return;
    this._plan = plan;
    const parts = [
      plan.added.length ? `add ${plan.added.join(", ")}` : "",
      plan.rehashed.length ? `new password for ${plan.rehashed.join(", ")}` : "",
      plan.removed.length ? `remove ${plan.removed.join(", ")}` : "",
    ].filter(Boolean);
    if (mode !== undefined && mode !== this.mode) parts.push(`mode ${mode.toString(8)} → ${(this.mode as number).toString(8)}`);
    this.log(`${this.target}: ${parts.join("; ") || "rewrite"}`);
    throw new UpdateNeeded(`${this.target} differs`);
  }

  override async update(): Promise<void> {
    writeFileAtomic(this.target, this._plan!.content, { mode: this.mode as number });
  }
}

/** The options of {@link Htpasswd}: `users` is required. */
export type HtpasswdOptions = Pick<Htpasswd, "users"> & Partial<Pick<Htpasswd, "cost" | "mode">>;
