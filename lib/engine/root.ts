/**
 * A root component: one top-level component assigned to one host. It owns the
 * component instance of the current configure round, its working directory
 * and the log messages configure() produced.
 */
import { join } from "node:path";
import { withAddressContext } from "./address.ts";
import { type Component, prepareComponent } from "./component.ts";
import type { Overrides } from "./arguments.ts";
import type { EnvironmentSettings } from "./environment-schema.ts";
import type { Host } from "./host.ts";
import type { Resources } from "./resources.ts";

/** What components see as `this.environment`. */
export interface EnvironmentInfo {
  name: string;
  /** The project root on the machine the component runs on. */
  projectRoot: string;
  /** Where root components' work directories live (`<project>/work`; batou's `workdir_base`). */
  workdirBase: string;
  hostDomain?: string;
  serviceUser?: string;
  platform?: string;
  timeout: number;
  /** Decrypted `secret-NAME.nacl` files by NAME. */
  secretFiles: Record<string, string>;
  /** `[resolver]`: names pinned to addresses for `Address`. */
  resolver: Record<string, string[]>;
  /** `[vfs]`: where an absolute path of a component really goes (identity without a sandbox). */
  mapPath(path: string): string;
  /** `[environment]` as read (`settings.requireV4`, `settings.jobs`, ...). */
  settings: EnvironmentSettings;
  /** Where `Address` resolves names (see Environment). */
  resolveAddresses: "here" | "on-hosts";
  resources: Resources;
  hosts: ReadonlyMap<string, Host>;
}

/** A component class as the loader registered it. */
export interface ComponentDefinition {
  /** Lower-cased class name. */
  name: string;
  factory: new () => Component;
  /** The file that defines it and its directory (templates live there). */
  file: string;
  defdir: string;
}

export class RootComponent {
  /** The instance of the current configure round. */
  component?: Component;
  /** Messages of `this.log()` during the last configure round. */
  logs: string[] = [];
  readonly workdir: string;

  constructor(
    readonly definition: ComponentDefinition,
    readonly host: Host,
    readonly environment: EnvironmentInfo,
    readonly overrides: Overrides,
    /** `!name` on the host: configured, resources count, never deployed. */
    readonly ignore: boolean,
    workBase: string,
    /** `name:feature` on the host: replaces the component's `features` when any are given. */
    readonly features: readonly string[] = [],
  ) {
    this.workdir = join(workBase, definition.name);
  }

  get name(): string {
    return this.definition.name;
  }

  get defdir(): string {
    return this.definition.defdir;
  }

  /** `host/name`, unique in an environment. */
  get id(): string {
    return `${this.host.name}/${this.name}`;
  }

  /** Builds a fresh component tree: a new instance, overrides, configure(). */
  prepare(): Component {
    this.logs = [];
    const component = new this.definition.factory();
    this.component = component;
    if (this.features.length > 0) (component as unknown as { features: string[] }).features = [...this.features];
    const { environment } = this;
    const context = {
      resolver: environment.resolver,
      requireV4: environment.settings.requireV4,
      requireV6: environment.settings.requireV6,
      resolve: environment.resolveAddresses,
      timeout: environment.timeout,
    };
    withAddressContext(context, () => prepareComponent(component, undefined, this));
    return component;
  }

  toString(): string {
    return `${this.name} on ${this.host.name}`;
  }
}
