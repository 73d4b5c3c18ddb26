/**
 * An environment ready to configure: its settings, hosts, the root
 * components assigned to them and the overrides (environment file merged
 * with secrets). `loadEnvironment` collects every problem it finds before
 * failing, so one run shows them all.
 */
import { join } from "node:path";
import type { Overrides } from "./arguments.ts";
import { BatouError, ConfigurationError } from "./errors.ts";
import { ConfigurationErrors, type EnvironmentFile, type EnvironmentSettings, readEnvironmentFile } from "./environment-file.ts";
import { Host } from "./host.ts";
import { loadComponents } from "./loader.ts";
import { Resources } from "./resources.ts";
import { type ComponentDefinition, type EnvironmentInfo, RootComponent } from "./root.ts";

/** Decrypted secrets of an environment, shaped like the environment file. */
export interface SecretsData {
  /** The secrets file, for messages. */
  file: string;
  components: Record<string, Record<string, unknown>>;
  hosts: Record<string, { data?: Record<string, unknown> }>;
  files: Record<string, string>;
  /** Every secret value, for hiding diffs that contain one. */
  values: string[];
  /** Non-fatal findings, e.g. files sealed to other recipients than listed. */
  warnings?: string[];
}

export interface LoadOptions {
  projectRoot: string;
  name: string;
  /** `-p`: the platform of every host without its own. */
  platform?: string;
  /** `-t`: seconds. */
  timeout?: number;
  /** Where root work directories live (default `<project>/work`). */
  workBase?: string;
  secrets?: SecretsData;
}

export class Environment implements EnvironmentInfo {
  readonly resources = new Resources();
  readonly hosts = new Map<string, Host>();
  readonly roots: RootComponent[] = [];
  secretFiles: Record<string, string> = {};
  secretValues: string[] = [];

  constructor(
    readonly name: string,
    readonly projectRoot: string,
    readonly file: string,
    readonly settings: EnvironmentSettings,
    readonly definitions: Map<string, ComponentDefinition>,
  ) {}

  get hostDomain(): string | undefined {
    return this.settings.hostDomain;
  }
  get serviceUser(): string | undefined {
    return this.settings.serviceUser;
  }
  get platform(): string | undefined {
    return this.settings.platform;
  }
  get timeout(): number {
    return this.settings.timeout;
  }

  /** Roots deployed on `host`, in environment order. */
  rootsOf(host: Host): RootComponent[] {
    return this.roots.filter((root) => root.host === host);
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, hosts: [...this.hosts.keys()] };
  }
}

/** Loads the environment file, the components and the secrets into one model. */
export async function loadEnvironment(options: LoadOptions): Promise<Environment> {
  const { projectRoot } = options;
  const envFile = readEnvironmentFile(projectRoot, options.name);
  const loaded = await loadComponents(projectRoot);
  const errors: BatouError[] = [...loaded.errors];
  const settings = { ...envFile.settings };
  if (options.platform !== undefined) settings.platform = options.platform || undefined;
  if (options.timeout !== undefined) settings.timeout = options.timeout;
  const environment = new Environment(options.name, projectRoot, envFile.file, settings, loaded.definitions);

  const overrides = collectOverrides(envFile, options.secrets, loaded.definitions, errors);
  const secretHosts = options.secrets?.hosts ?? {};
  for (const name of Object.keys(secretHosts)) {
    if (!envFile.hosts.some((host) => host.name === name)) {
      errors.push(new ConfigurationError(`secrets for an unknown host "${name}"`, { file: options.secrets!.file, host: name }));
    }
  }
  const workBase = options.workBase ?? join(projectRoot, "work");
  for (const hostSettings of envFile.hosts) {
    const data = { ...hostSettings.data };
    for (const [key, value] of Object.entries(secretHosts[hostSettings.name]?.data ?? {})) {
      if (key in data) {
        errors.push(
          new ConfigurationError(`host data "${key}" is set both in the environment and in the secrets`, {
            file: envFile.file,
            "secrets file": options.secrets!.file,
            host: hostSettings.name,
          }),
        );
      }
      data[key] = value;
    }
    const fqdn = hostSettings.name.includes(".") || !settings.hostDomain ? hostSettings.name : `${hostSettings.name}.${settings.hostDomain}`;
    const host = new Host(
      hostSettings.name,
      fqdn,
      data,
      hostSettings.platform ?? settings.platform,
      hostSettings.serviceUser ?? settings.serviceUser,
      hostSettings.ignore,
    );
    environment.hosts.set(host.name, host);
    for (const assigned of hostSettings.components) {
      const definition = loaded.definitions.get(assigned.name);
      if (!definition) {
        errors.push(
          new ConfigurationError(`host "${host.name}" names an unknown component "${assigned.name}"`, {
            file: envFile.file,
            line: assigned.line,
            host: host.name,
            component: assigned.name,
            known: [...loaded.definitions.keys()].sort().join(", ") || "(none)",
          }),
        );
        continue;
      }
      host.components.push(assigned.name);
      const rootOverrides = overrides.get(assigned.name) ?? { values: {}, sources: {} };
      environment.roots.push(new RootComponent(definition, host, environment, rootOverrides, assigned.ignore, workBase));
    }
  }
  if (envFile.hosts.length === 0) {
    errors.push(new ConfigurationError("the environment has no hosts", { file: envFile.file, expected: "a [hosts.NAME] section" }));
  }
  if (options.secrets) {
    environment.secretFiles = options.secrets.files;
    environment.secretValues = options.secrets.values;
  }
  if (errors.length > 0) throw new ConfigurationErrors(errors);
  return environment;
}

function collectOverrides(
  envFile: EnvironmentFile,
  secrets: SecretsData | undefined,
  definitions: Map<string, ComponentDefinition>,
  errors: BatouError[],
): Map<string, Overrides> {
  const result = new Map<string, Overrides>();
  const merge = (component: string, values: Record<string, unknown>, file: string, isSecret: boolean) => {
    if (!definitions.has(component)) {
      errors.push(
        new ConfigurationError(`overrides for an unknown component "${component}"`, {
          file,
          line: isSecret ? undefined : envFile.lineOf(`components.${component}`),
          component,
        }),
      );
      return;
    }
    const entry = result.get(component) ?? { values: {}, sources: {} };
    for (const [key, value] of Object.entries(values)) {
      if (key in entry.values) {
        errors.push(
          new ConfigurationError(`${component}.${key} is set both in the environment and in the secrets`, {
            file: entry.sources[key],
            "secrets file": file,
            component,
            attribute: key,
          }),
        );
        continue;
      }
      entry.values[key] = value;
      entry.sources[key] = file;
    }
    result.set(component, entry);
  };
  for (const [component, values] of Object.entries(envFile.overrides)) merge(component, values, envFile.file, false);
  for (const [component, values] of Object.entries(secrets?.components ?? {})) {
    merge(component.toLowerCase(), values, secrets!.file, true);
  }
  return result;
}

