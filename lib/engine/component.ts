/**
 * The component model: a `Component` knows how to `configure()` itself (build
 * its tree of children with `add()`), `verify()` whether the target is current
 * (throw `UpdateNeeded` if not) and `update()` it.
 *
 * @example
 * ```ts
 * import { Component, File } from "batou";
 *
 * export class Hello extends Component {
 *   greeting = "Hello";                      // overridable from the environment
 *   configure() {
 *     this.add(new File("hello.txt", { content: `${this.greeting}, ${this.host.name}\n` }));
 *   }
 * }
 * ```
 */
import { createHash, type Hash } from "node:crypto";
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, normalize, resolve } from "node:path";
import { type CommandOptions, type CommandResult, runCommand } from "./cmd.ts";
import { CommandError, ConfigurationError, DeploymentError, SilentConfigurationError, UpdateNeeded } from "./errors.ts";
import type { DeploySession } from "./events.ts";
import type { Host } from "./host.ts";
import type { EnvironmentInfo, RootComponent } from "./root.ts";
import { stopRequested } from "./stop-point.ts";
import { diffView } from "./diff.ts";
import { validateArguments } from "./arguments.ts";

/** Options for `require()` and `requireOne()`. */
export interface RequireOptions {
  /** Only values provided by root components on this host. */
  host?: Host | string;
  /** An error when, once configured, nothing provides the key (default true). */
  strict?: boolean;
  /** Deploy the provider after this component instead of before. */
  reverse?: boolean;
  /** Do not re-configure this component when the values change (breaks cycles). */
  dirty?: boolean;
}

/** `"*"`: every trigger; `"precursor"`: only components earlier in the tree. */
export type EventScope = "*" | "precursor";
type Handler = { event: string; scope: EventScope; handler: (trigger: Component) => void | Promise<void> };

/** Engine-only state, kept off the instance's enumerable fields (those are the attributes). */
export interface Internals {
  args: unknown[];
  parent?: Component;
  root?: RootComponent;
  children: Component[];
  prepared: boolean;
  changed: boolean;
  handlers: Handler[];
  session?: DeploySession;
  /** `runningChecksum()`'s sha256. */
  checksum?: Hash;
}

/** Reads the engine state of a component (for engine modules, not for users). */
export function internals(component: Component): Internals {
  return (component as unknown as { __batou: Internals }).__batou;
}

/** Components constructed but not (yet) added anywhere, for the "never added" warning. */
export const constructed = new Set<Component>();

const platformVariants = new WeakMap<Function, Map<string, new () => Component>>();

export class Component {
  /** Name of the field that takes the first constructor argument (e.g. `"path"`). */
  static namevar?: string;

  constructor(...args: unknown[]) {
    Object.defineProperty(this, "__batou", {
      value: { args, children: [], prepared: false, changed: false, handlers: [] } satisfies Internals,
      enumerable: false,
    });
    constructed.add(this);
  }

  /**
   * Registers `variant` for hosts of `platform`: it is added as the last child
   * of every `this` component configured on such a host.
   */
  static addPlatformVariant(platform: string, variant: new () => Component): void {
    let table = platformVariants.get(this);
    if (!table) platformVariants.set(this, (table = new Map()));
    table.set(platform, variant);
  }

  // ---- lifecycle, overridden by components ----

  /** Builds the component's children with `add()`; runs once per configure round. */
  configure(): void {}

  /** Throws `UpdateNeeded` (or fails an `assert*`) when `update()` must run. */
  async verify(_predicting?: boolean): Promise<void> {}

  /** Brings the target to the configured state. */
  async update(): Promise<void> {}

  /** When this component was last updated (ms since the epoch), for `assertComponentIsCurrent`. */
  lastUpdated(): number | undefined {
    throw new ConfigurationError(`${this.constructor.name} does not implement lastUpdated()`, {
      component: internals(this).root ? this.breadcrumbs : this.constructor.name,
      hint: "assertComponentIsCurrent needs lastUpdated() on both components",
    });
  }

  // ---- the tree ----

  get parent(): Component | undefined {
    return internals(this).parent;
  }

  get root(): RootComponent {
    const root = internals(this).root;
    if (!root) throw new ConfigurationError(`${this.constructor.name} is used before it was added with add()`);
    return root;
  }

  get subComponents(): readonly Component[] {
    return internals(this).children;
  }

  /** Every component below this one, depth first, each before its children (not this one). */
  recursiveSubComponents(): Component[] {
    return this.subComponents.flatMap((child) => [child, ...child.recursiveSubComponents()]);
  }

  /**
   * batou's `checksum()`: a running sha256 of what this component fed it.
   * `runningChecksum(value)` adds `value` and returns the hex digest so far;
   * `runningChecksum()` only returns it. Order matters. For a version marker
   * that changes when the inputs do. (Not `checksum`: that is an option of
   * `Download`.)
   */
  runningChecksum(value?: string | Uint8Array): string {
    const state = internals(this);
    state.checksum ??= createHash("sha256");
    if (value !== undefined) state.checksum.update(value);
    return state.checksum.copy().digest("hex");
  }

  /** True when this component or one of its children updated (or would, under -P). */
  get changed(): boolean {
    return internals(this).changed;
  }

  get host(): Host {
    return this.root.host;
  }

  get environment(): EnvironmentInfo {
    return this.root.environment;
  }

  /** The working directory of the root component: `work/<root name>` (absolute). */
  get workdir(): string {
    return this.root.workdir;
  }

  /** The directory of the file that defines the root component (templates live here). */
  get defdir(): string {
    return this.root.defdir;
  }

  /** Adds `child` to the tree and configures it at once, in this component's context. */
  add<T extends Component>(child: T): T;
  add<T extends Component>(child: T | undefined | null): T | undefined;
  add<T extends Component>(child: T | undefined | null): T | undefined {
    if (child === undefined || child === null) return undefined;
    internals(this).children.push(child);
    this.use(child);
    return child;
  }

  /** Configures `helper` in this component's context without adding it to the tree. */
  use<T extends Component>(helper: T): T {
    if (!internals(helper).prepared) prepareComponent(helper, this, this.root);
    return helper;
  }

  /** `Class`, or `Class('namevar')`: how this component appears in paths. */
  get breadcrumb(): string {
    const namevar = (this.constructor as typeof Component).namevar;
    const value = namevar ? (this as unknown as Record<string, unknown>)[namevar] : undefined;
    return value === undefined ? this.constructor.name : `${this.constructor.name}('${String(value)}')`;
  }

  /** The path from the top-level component, e.g. `App > File('app.conf')`. */
  get breadcrumbs(): string {
    const parent = this.parent;
    return parent ? `${parent.breadcrumbs} > ${this.breadcrumb}` : this.breadcrumb;
  }

  // ---- resources ----

  /** Offers `value` under `key` to components on any host. */
  provide(key: string, value: unknown): void {
    this.root.environment.resources.provide(this.root, key, value);
  }

  /** Values provided under `key` (possibly none during early configure rounds). */
  require<T = unknown>(key: string, options: RequireOptions = {}): T[] {
    const host = typeof options.host === "object" ? options.host.name : options.host;
    return this.root.environment.resources.require(this.root, key, {
      host,
      strict: options.strict ?? true,
      reverse: options.reverse ?? false,
      dirty: options.dirty ?? false,
    }) as T[];
  }

  /** The single value provided under `key`; none yet retries configure later. */
  requireOne<T = unknown>(key: string, options: RequireOptions = {}): T {
    const values = this.require<T>(key, options);
    if (values.length > 1) {
      throw new ConfigurationError(`resource "${key}" has ${values.length} providers, requireOne() expects one`, {
        host: this.host.name,
        component: this.breadcrumbs,
        resource: key,
      });
    }
    if (values.length === 0 && (options.strict ?? true)) {
      throw new SilentConfigurationError(`resource "${key}" not provided yet`);
    }
    return values[0] as T;
  }

  // ---- events ----

  /** Calls `handler` before any component of this root updates (see `EventScope`). */
  on(event: "before-update", handler: (trigger: Component) => void | Promise<void>, options: { scope?: EventScope } = {}): void {
    internals(this).handlers.push({ event, scope: options.scope ?? "*", handler });
  }

  // ---- helpers ----

  /**
   * Absolute path: `~` is the home directory, relative paths are inside the
   * workdir; then the environment's `[vfs]` sandbox maps it, if it has one.
   */
  map(path: string): string {
    if (path === "~" || path.startsWith("~/")) return this.environment.mapPath(join(homedir(), path.slice(1)));
    return isAbsolute(path) ? this.environment.mapPath(normalize(path)) : resolve(this.workdir, path);
  }

  /** Renders a Jinja2-style template string in this component's context. */
  expand(template: string, extra: Record<string, unknown> = {}): string {
    if (typeof template !== "string") {
      // typically an attribute that has no value yet: say so instead of failing inside the template engine
      const got = template === undefined || template === null ? String(template) : `${/^[aeiou]/.test(typeof template) ? "an" : "a"} ${typeof template}`;
      throw new ConfigurationError(`expand() renders a template string, but got ${got}`, { host: this.host.name, component: this.breadcrumbs });
    }
    return renderIn(this, template, extra, this.breadcrumbs);
  }

  /** Renders a template file (relative to `defdir`) and appends a newline like batou does. */
  template(file: string, extra: Record<string, unknown> = {}): string {
    const path = isAbsolute(file) ? file : join(this.defdir, file);
    if (!existsSync(path)) {
      throw new ConfigurationError(`cannot read the template file: it does not exist`, { template: path, host: this.host.name, component: this.breadcrumbs });
    }
    return renderIn(this, readFileSync(path, "utf8"), extra, path) + "\n";
  }

  /** The names a template sees: `host`, `environment`, `component`, `batou_generated_header`. */
  templateContext(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      host: this.host,
      environment: this.environment,
      component: this,
      batou_generated_header: `File is generated by batou for component ${this.breadcrumbs}. Don't edit manually.`,
      ...extra,
    };
  }

  /**
   * Runs a shell command in the workdir; throws `CommandError` (code, stdout, stderr) on failure.
   * Under `-P` a working directory that does not exist yet is an empty stand-in (see `runCommand`).
   */
  async cmd(command: string | string[], options: CommandOptions = {}): Promise<CommandResult> {
    // Taken before the first await, so it still holds the caller's line (async stacks lose it).
    const caller = new Error().stack ?? "";
    try {
      const cwd = options.cwd ?? (this.predicting || existsSync(this.workdir) ? this.workdir : undefined);
      return await runCommand(command, { ...options, cwd }, { predicting: this.predicting });
    } catch (error) {
      if (error instanceof CommandError) error.stack = `${error.name}: ${error.message}\n${caller.split("\n").slice(1).join("\n")}`;
      throw error;
    }
  }

  /**
   * For a long loop in verify() or update(): call it between two items. It lets
   * pending signals in (at most every 20 ms) and throws when the deployment is
   * stopping (Ctrl-C, SIGTERM, the deploying side gone), so the host's agent
   * stops within a second instead of after the loop, with the last item whole.
   */
  async stopIfInterrupted(): Promise<void> {
    if (await stopRequested(internals(this).session?.stop)) {
      throw new DeploymentError(`the deployment was stopped in ${this.breadcrumbs}`, { host: this.host.name, component: this.breadcrumbs, stopped: "yes" });
    }
  }

  /** Reports a message: after configure converged, or at once during verify/update. */
  log(message: string): void {
    const session = internals(this).session;
    if (session) session.emit({ event: "log", host: this.host.name, component: this.breadcrumbs, message });
    else this.root.logs.push(message);
  }

  /**
   * Reports how `path` would change from `before` to `after` as a unified
   * diff (hidden when `sensitive`, `binary` (or holding a NUL byte), or
   * containing a secret value).
   */
  showDiff(path: string, before: string, after: string, options: { sensitive?: boolean; binary?: boolean } = {}): void {
    const session = internals(this).session;
    if (!session) return;
    const view = diffView(path, before, after, { sensitive: options.sensitive, binary: options.binary, secrets: session.secretValues });
    session.emit({ event: "diff", host: this.host.name, component: this.breadcrumbs, path, ...view });
  }

  /** True while deploying under `-P`: verify may look, but nothing may change. */
  get predicting(): boolean {
    return internals(this).session?.predicting ?? false;
  }

  /** Creates `path` (empty) or updates its modification time. */
  touch(path: string): void {
    const target = this.map(path);
    if (existsSync(target)) utimesSync(target, new Date(), new Date());
    else writeFileSync(target, "");
  }

  // ---- assertions (throw UpdateNeeded) ----

  /** The command must succeed. */
  async assertCmd(command: string | string[], options: CommandOptions = {}): Promise<void> {
    try {
      await this.cmd(command, options);
    } catch {
      throw new UpdateNeeded(`command failed: ${Array.isArray(command) ? command.join(" ") : command}`);
    }
  }

  /** `reference` must exist and be newer than every existing `requirements` path. */
  assertFileIsCurrent(reference: string, requirements: string[] = []): void {
    const target = this.map(reference);
    if (!existsSync(target)) throw new UpdateNeeded(`${target} does not exist`);
    const mtime = statSync(target).mtimeMs;
    for (const requirement of requirements) {
      const path = this.map(requirement);
      if (existsSync(path) && statSync(path).mtimeMs > mtime) throw new UpdateNeeded(`${target} is older than ${path}`);
    }
  }

  /** This component's `lastUpdated()` must not be older than that of each requirement. */
  assertComponentIsCurrent(requirements: Component | Component[] = []): void {
    const reference = this.lastUpdated();
    if (reference === undefined) throw new UpdateNeeded(`${this.breadcrumbs}: no reference`);
    for (const requirement of Array.isArray(requirements) ? requirements : [requirements]) {
      this.use(requirement);
      const required = requirement.lastUpdated();
      if (required !== undefined && reference < required) throw new UpdateNeeded(`${requirement.breadcrumbs} is newer`);
    }
  }

  /** No direct child changed in this run. */
  assertNoSubcomponentChanges(): void {
    for (const child of this.subComponents) {
      if (child.changed) throw new UpdateNeeded(`${child.breadcrumbs} changed`);
    }
  }

  /** Neither this component nor a direct child changed in this run. */
  assertNoChanges(): void {
    if (this.changed) throw new UpdateNeeded(`${this.breadcrumbs} changed`);
    this.assertNoSubcomponentChanges();
  }

  toString(): string {
    return `<${this.constructor.name} (${internals(this).root?.host.name ?? "?"}) "${this.breadcrumbs}">`;
  }
}

/**
 * The template engine (nunjucks patched to Jinja2's syntax and Python's semantics), loaded when
 * the first template renders: a model without templates does not pay its ~8 ms of module loading
 * (every agent's start paid it).
 */
let templateEngine: typeof import("./template.ts") | undefined;
const renderTemplate = (...args: Parameters<typeof import("./template.ts").renderTemplate>) =>
  (templateEngine ??= require("./template.ts") as typeof import("./template.ts")).renderTemplate(...args);

/** Renders in `component`'s context; an error names the component. (Not a method: users may name theirs `render`.) */
function renderIn(component: Component, source: string, extra: Record<string, unknown>, identifier: string): string {
  try {
    return renderTemplate(source, component.templateContext(extra), identifier);
  } catch (error) {
    if (error instanceof ConfigurationError) error.context.component ??= component.breadcrumbs;
    throw error;
  }
}

/** Reads the platform variant registered on exactly this class (not inherited). */
function variantFor(component: Component, platform: string | undefined): (new () => Component) | undefined {
  return platform ? platformVariants.get(component.constructor)?.get(platform) : undefined;
}

/**
 * Prepares `component` under `parent` (a component, or nothing for a top-level
 * component of `root`): constructor arguments, overrides, configure(), platform
 * variant. Runs configure() synchronously; an async configure is an error.
 */
export function prepareComponent(component: Component, parent: Component | undefined, root: RootComponent): void {
  const state = internals(component);
  state.parent = parent;
  state.root = root;
  state.children = [];
  state.handlers = [];
  validateArguments(component, state.args, parent === undefined ? root.overrides : undefined);
  constructed.delete(component);
  const result = component.configure() as unknown;
  if (result instanceof Promise) {
    throw new ConfigurationError("configure() must not be async: it runs again on every configure round", {
      host: root.host.name,
      component: component.breadcrumbs,
    });
  }
  const variant = variantFor(component, root.host.platform);
  if (variant) component.add(new variant());
  state.prepared = true;
}
