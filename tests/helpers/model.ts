/**
 * In-process models for unit tests: an `Environment` built from component
 * classes defined in the test file (no component files, no CLI), with real
 * temp directories as project root and work base.
 *
 * ```ts
 * const m = model({ components: { app: App }, hosts: { web: ["app"] } });
 * const result = configure(m.environment);
 * const events = await m.deploy();
 * ```
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Component } from "../../lib/engine/component.ts";
import { configure, type ConfigureResult } from "../../lib/engine/configure.ts";
import { deployTree } from "../../lib/engine/deploy-component.ts";
import type { EnvironmentFile } from "../../lib/engine/environment-file.ts";
import { defaultSettings, type EnvironmentSettings, type VfsSettings } from "../../lib/engine/environment-schema.ts";
import { buildEnvironment, type Environment } from "../../lib/engine/environment.ts";
import type { DeployEvent } from "../../lib/engine/events.ts";
import type { RootComponent } from "../../lib/engine/root.ts";

export interface HostSpec {
  components: string[];
  platform?: string;
  data?: Record<string, unknown>;
  /** `ignore = true`: configured, never deployed. */
  ignore?: boolean;
}

export interface ModelSpec {
  components: Record<string, new () => Component>;
  /** Host name → component names (`!name` ignored, `name:feature`) or a full spec. */
  hosts: Record<string, string[] | HostSpec>;
  overrides?: Record<string, Record<string, unknown>>;
  settings?: Partial<EnvironmentSettings>;
  resolver?: Record<string, string[]>;
  vfs?: VfsSettings;
}

export interface Model {
  environment: Environment;
  dir: string;
  /** The root of component `name` (on `host`, else the first). */
  root(name: string, host?: string): RootComponent;
  /** The configured top-level component of `name`. */
  component<T extends Component = Component>(name: string, host?: string): T;
  configure(): ConfigureResult;
  /** Deploys every root in configure order; returns the events. `stop`: the session's stop signal (Ctrl-C); `room`: the session's reader backlog. */
  deploy(options?: { predicting?: boolean; stop?: AbortSignal; room?: () => Promise<void> | undefined }): Promise<DeployEvent[]>;
  cleanup(): void;
}

/** Every model's temp folder not yet removed, for `cleanupModels()`. */
const folders = new Set<string>();

/** Removes the temp folders of every model built so far (call it in `afterEach`). */
export function cleanupModels(): void {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  folders.clear();
}

export function model(spec: ModelSpec): Model {
  const dir = mkdtempSync(join(tmpdir(), "batou-unit-"));
  folders.add(dir);
  const definitions = new Map(
    Object.entries(spec.components).map(([name, factory]) => [name, { name, factory, file: join(dir, "component.ts"), defdir: dir }]),
  );
  const file: EnvironmentFile = {
    name: "test",
    file: "environments/test.toml",
    settings: { ...defaultSettings(), connectMethod: "local", ...spec.settings },
    hosts: Object.entries(spec.hosts).map(([name, raw]) => {
      const hostSpec = Array.isArray(raw) ? { components: raw } : raw;
      for (const entry of hostSpec.components) {
        if (!definitions.has(entry.replace(/^!/, "").split(":")[0]!)) throw new Error(`test model: no component ${entry}`);
      }
      return {
        name,
        components: hostSpec.components.map((entry) => {
          const [bare, ...features] = entry.replace(/^!/, "").split(":");
          return { name: bare!, ignore: entry.startsWith("!"), features };
        }),
        platform: hostSpec.platform,
        ignore: hostSpec.ignore ?? false,
        data: hostSpec.data ?? {},
      };
    }),
    overrides: spec.overrides ?? {},
    resolver: spec.resolver ?? {},
    vfs: spec.vfs,
    lineOf: () => undefined,
    errors: [],
  };
  const environment = buildEnvironment(file, definitions, undefined, { projectRoot: dir, workBase: join(dir, "work") });
  let configured: ConfigureResult | undefined;
  const m: Model = {
    environment,
    dir,
    root(name, host) {
      const root = environment.roots.find((r) => r.name === name && (host === undefined || r.host.name === host));
      if (!root) throw new Error(`test model: no root ${name}`);
      return root;
    },
    component<T extends Component>(name: string, host?: string) {
      const component = m.root(name, host).component;
      if (!component) throw new Error(`test model: ${name} not configured`);
      return component as T;
    },
    configure() {
      configured = configure(environment);
      return configured;
    },
    async deploy(options = {}) {
      const result = configured ?? m.configure();
      const events: DeployEvent[] = [];
      const session = { predicting: options.predicting ?? false, emit: (e: DeployEvent) => events.push(e), secretValues: [], stop: options.stop, room: options.room };
      for (const root of result.order) if (!root.ignore) await deployTree(root, session);
      return events;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  return m;
}

/** Runs `fn` and returns what it threw (fails the test when nothing was thrown). */
export function thrown(fn: () => unknown): Error & Record<string, unknown> {
  try {
    fn();
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected an error, nothing was thrown");
}

/** Like `thrown`, for async functions. */
export async function rejected(fn: () => Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await fn();
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected a rejection, nothing was thrown");
}

/** The messages of a `ConfigurationErrors` (or a single error), joined with their details. */
export function errorText(error: unknown): string {
  const list = (error as { errors?: unknown[] }).errors ?? [error];
  return list
    .map((e) => {
      const item = e as Error & { details?: () => [string, string][] };
      const rows = item.details?.() ?? [];
      return [item.message, ...rows.map(([label, value]) => `${label}: ${value}`)].join("\n");
    })
    .join("\n---\n");
}
