/**
 * An environment ready to configure: its settings, hosts, the root
 * components assigned to them and the overrides (environment file merged
 * with secrets). `buildEnvironment` assembles it from already-read parts (no
 * I/O); `loadEnvironment` reads those parts. Both collect every problem they
 * find before failing, so one run shows them all.
 */
import { join } from "node:path";
import type { Overrides } from "./arguments.ts";
import { type BatouError, ConfigurationError, ConfigurationErrors, knockOnMessage } from "./errors.ts";
import { type EnvironmentFile, readEnvironmentFile } from "./environment-file.ts";
import type { EnvironmentSettings } from "./environment-schema.ts";
import { Host } from "./host.ts";
import { loadComponents } from "./loader.ts";
import { Resources } from "./resources.ts";
import { type ComponentDefinition, type EnvironmentInfo, RootComponent } from "./root.ts";
import { checkData } from "./toml-input.ts";
import { sandboxMap } from "./vfs.ts";

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
  /** Where root components' work directories live (`<project>/work` unless the run says otherwise). */
  workdirBase: string;
  /** `[resolver]`: names pinned to addresses for `Address`. */
  resolver: Record<string, string[]> = Object.create(null);
  /** `[vfs]`: maps absolute paths of components (identity without a sandbox). */
  mapPath: (path: string) => string = (path) => path;
  /**
   * Where `Address` resolves names: `"here"` (an agent, a local environment),
   * or `"on-hosts"` (the deploying machine checking a remote environment: only
   * `[resolver]` pins, other names stay unresolved until the hosts' agents configure).
   */
  resolveAddresses: "here" | "on-hosts" = "here";

  constructor(
    readonly name: string,
    readonly projectRoot: string,
    readonly file: string,
    readonly settings: EnvironmentSettings,
    readonly definitions: Map<string, ComponentDefinition>,
  ) {
    this.workdirBase = join(projectRoot, "work");
  }

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

export interface BuildOptions {
  projectRoot: string;
  /** `-p` / `-t`: replace the environment's platform and timeout. */
  platform?: string;
  timeout?: number;
  /** Where root work directories live (default `<project>/work`). */
  workBase?: string;
  /**
   * Components whose file failed to load, by the class names found in it
   * (lower case) → that file: what names them is a knock-on error.
   */
  failed?: ReadonlyMap<string, string>;
}

/**
 * Assembles an environment from its parsed file, the loaded component
 * definitions and the secrets; pure (no I/O). Throws `ConfigurationErrors`
 * with every problem, the file's own included.
 */
export function buildEnvironment(
  file: EnvironmentFile,
  definitions: Map<string, ComponentDefinition>,
  secrets: SecretsData | undefined,
  options: BuildOptions,
): Environment {
  const { environment, errors } = assembleEnvironment(file, definitions, secrets, options);
  if (errors.length > 0) throw new ConfigurationErrors(errors);
  return environment;
}

/** {@link buildEnvironment}'s work: the environment as far as it can be built (without what is wrong), and every problem. */
function assembleEnvironment(
  file: EnvironmentFile,
  definitions: Map<string, ComponentDefinition>,
  secrets: SecretsData | undefined,
  options: BuildOptions,
): { environment: Environment; errors: BatouError[] } {
  const errors: BatouError[] = [...file.errors];
  const settings = { ...file.settings };
  if (options.platform !== undefined) settings.platform = options.platform || undefined;
  if (options.timeout !== undefined) settings.timeout = options.timeout;
  const environment = new Environment(file.name, options.projectRoot, file.file, settings, definitions);
  const workBase = options.workBase ?? join(options.projectRoot, "work");
  environment.workdirBase = workBase;
  environment.resolver = file.resolver;
  if (file.vfs) environment.mapPath = sandboxMap(file.vfs, workBase);
  const unknownComponent = (message: string, name: string) => {
    const failedFile = options.failed?.get(name);
    return failedFile ? knockOnMessage(message, `${failedFile} failed to load`) : message;
  };

  const overrides = collectOverrides(file, secrets, definitions, errors, unknownComponent);
  const secretHosts = secrets?.hosts ?? {};
  for (const name of Object.keys(secretHosts)) {
    if (!file.hosts.some((host) => host.name === name)) {
      errors.push(new ConfigurationError(`secrets for an unknown host "${name}"`, { file: secrets!.file, host: name }));
    }
  }
  for (const hostSettings of file.hosts) {
    const data: Record<string, unknown> = Object.assign(Object.create(null), hostSettings.data);
    const secretData = Object.hasOwn(secretHosts, hostSettings.name) ? (secretHosts[hostSettings.name]!.data ?? {}) : {};
    const problem = checkData(secretData);
    if (problem) {
      errors.push(new ConfigurationError(`host data ${problem.path} ${problem.problem}`, { file: secrets!.file, host: hostSettings.name }));
    }
    for (const [key, value] of Object.entries(secretData)) {
      if (Object.hasOwn(data, key)) {
        errors.push(
          new ConfigurationError(`host data "${key}" is set both in the environment and in the secrets`, {
            file: file.file,
            line: file.lineOf(`hosts.${hostSettings.name}.data`, key) ?? file.lineOf(`hosts.${hostSettings.name}`, "data"),
            "secrets file": secrets!.file,
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
      hostSettings.sshClient ?? settings.sshClient,
    );
    environment.hosts.set(host.name, host);
    for (const assigned of hostSettings.components) {
      const definition = definitions.get(assigned.name);
      if (!definition) {
        errors.push(
          new ConfigurationError(unknownComponent(`host "${host.name}" names an unknown component "${assigned.name}"`, assigned.name), {
            file: file.file,
            line: assigned.line,
            host: host.name,
            component: assigned.name,
            known: [...definitions.keys()].sort().join(", ") || "(none)",
          }),
        );
        continue;
      }
      host.components.push(assigned.name);
      const rootOverrides = overrides.get(assigned.name) ?? { values: Object.create(null), sources: Object.create(null) };
      environment.roots.push(new RootComponent(definition, host, environment, rootOverrides, assigned.ignore, workBase, assigned.features));
    }
  }
  if (file.hosts.length === 0 && file.errors.length === 0) {
    errors.push(new ConfigurationError("the environment has no hosts", { file: file.file, expected: "a [hosts.NAME] section" }));
  }
  if (secrets) {
    environment.secretFiles = secrets.files;
    environment.secretValues = secrets.values;
  }
  return { environment, errors };
}

/** Loads the environment file, the components and the secrets into one model. */
export async function loadEnvironment(options: LoadOptions): Promise<Environment> {
  const { environment, errors } = await loadEnvironmentWithErrors(options);
  if (errors.length > 0) throw new ConfigurationErrors(errors);
  return environment;
}

/** What {@link loadEnvironmentWithErrors} found. */
export interface LoadedWithErrors {
  /** The environment without what is wrong (unknown components and sections, files that failed to load, ...). */
  environment: Environment;
  /** Every problem of the environment file, the component files and the secrets. */
  errors: BatouError[];
  /** The component files that failed to load (relative to the project): what they would provide is missing. */
  failedFiles: string[];
}

/**
 * Like {@link loadEnvironment}, but returns the environment as far as it could
 * be built beside its load errors, so that a run can configure it and report
 * the configuration errors with the load errors (batou reports every error at
 * once). Only a file that cannot be read or parsed at all throws.
 */
export async function loadEnvironmentWithErrors(options: LoadOptions): Promise<LoadedWithErrors> {
  const file = readEnvironmentFile(options.projectRoot, options.name);
  const loaded = await loadComponents(options.projectRoot);
  const { environment, errors } = assembleEnvironment(file, loaded.definitions, options.secrets, { ...options, failed: loaded.failed });
  return { environment, errors: [...loaded.errors, ...errors], failedFiles: [...new Set(loaded.failed.values())].sort() };
}

function collectOverrides(
  file: EnvironmentFile,
  secrets: SecretsData | undefined,
  definitions: Map<string, ComponentDefinition>,
  errors: BatouError[],
  unknownComponent: (message: string, name: string) => string,
): Map<string, Overrides> {
  const result = new Map<string, Overrides>();
  const merge = (component: string, values: Record<string, unknown>, source: string, isSecret: boolean) => {
    const line = isSecret ? undefined : file.lineOf(`components.${component}`);
    if (!definitions.has(component)) {
      errors.push(
        new ConfigurationError(unknownComponent(`overrides for an unknown component "${component}"`, component), {
          file: source,
          line,
          component,
          known: [...definitions.keys()].sort().join(", ") || "(none)",
        }),
      );
      return;
    }
    if (isSecret) {
      const problem = checkData(values);
      if (problem) {
        errors.push(new ConfigurationError(`${component}.${problem.path} ${problem.problem}`, { file: source, component }));
        return;
      }
    }
    const entry = result.get(component) ?? { values: Object.create(null), sources: Object.create(null), lines: Object.create(null) };
    for (const [key, value] of Object.entries(values)) {
      if (Object.hasOwn(entry.values, key)) {
        errors.push(
          new ConfigurationError(`${component}.${key} is set both in the environment and in the secrets`, {
            file: entry.sources[key],
            line: entry.lines?.[key],
            "secrets file": source,
            component,
            attribute: key,
          }),
        );
        continue;
      }
      entry.values[key] = value;
      entry.sources[key] = source;
      if (!isSecret) entry.lines![key] = file.lineOf(`components.${component}`, key) ?? line;
    }
    result.set(component, entry);
  };
  for (const [component, values] of Object.entries(file.overrides)) merge(component, values, file.file, false);
  for (const [component, values] of Object.entries(secrets?.components ?? {})) {
    merge(component.toLowerCase(), values, secrets!.file, true);
  }
  return result;
}
