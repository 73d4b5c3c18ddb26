/**
 * `Requirements` and `Package`: what a `VirtualEnv` installs. Added to the
 * `VirtualEnv` (never elsewhere), each contributes requirement lines: a
 * requirements or lock file next to the component (read when configuring,
 * so a change to it is a change of the environment), or one pinned package.
 * They change nothing themselves: the `VirtualEnv` builds an environment for
 * all of its lines.
 *
 * @example
 * ```ts
 * const venv = this.add(new VirtualEnv("venv"));
 * venv.add(new Requirements("requirements.lock"));
 * venv.add(new Package("gunicorn", { version: "22.0.0" }));
 * ```
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { Component, ConfigurationError } from "../batou-core.ts";
import { type RequirementSource, VirtualEnv } from "./virtualenv.ts";

function assertInVirtualEnv(component: Component): void {
  if (!(component.parent instanceof VirtualEnv)) {
    throw new ConfigurationError(`${component.constructor.name} must be added to a VirtualEnv`, {
      component: component.breadcrumbs,
      hint: `venv.add(new ${component.constructor.name}(...)) where venv = this.add(new VirtualEnv("venv"))`,
    });
  }
}

/**
 * A requirements or lock file (next to the component, or an absolute path) whose lines
 * its parent {@link VirtualEnv} installs; read when configuring, so a change of the file
 * is a change of the environment. Only inside a `VirtualEnv`.
 *
 * @example
 * ```ts
 * venv.add(new Requirements("requirements.lock"));
 * ```
 */
export class Requirements extends Component implements RequirementSource {
  static override namevar = "file";
  file = "";

  /** The file's lines, read when configuring. */
  requirementLines = "";

  constructor(file: string) {
    super(file);
  }

  /** The file's absolute path: next to the component, unless absolute. */
  get sourcePath(): string {
    return isAbsolute(this.file) ? this.file : join(this.defdir, this.file);
  }

  override configure(): void {
    assertInVirtualEnv(this);
    if (!existsSync(this.sourcePath)) throw new ConfigurationError(`requirements file not found: ${this.sourcePath}`, { component: this.breadcrumbs });
    this.requirementLines = readFileSync(this.sourcePath, "utf8");
  }
}

/**
 * One Python package, `name` at exactly `version` (`name==version`), that its parent
 * {@link VirtualEnv} installs. Only inside a `VirtualEnv`.
 *
 * @example
 * ```ts
 * venv.add(new Package("gunicorn", { version: "22.0.0" }));
 * ```
 */
export class Package extends Component implements RequirementSource {
  static override namevar = "name";
  /** The package to install. */
  name = "";
  /** The exact version (`==`). */
  version = "";

  constructor(name: string, options: PackageOptions) {
    super(name, options);
  }

  /** `name==version`, as batou shows it. */
  override get breadcrumb(): string {
    return `Package('${this.name}==${this.version}')`;
  }

  get requirementLines(): string {
    return `${this.name}==${this.version}\n`;
  }

  override configure(): void {
    assertInVirtualEnv(this);
    if (!/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\[[A-Za-z0-9._,-]+\])?$/.test(this.name)) {
      throw new ConfigurationError(`invalid package name "${this.name}"`, { component: this.breadcrumbs, expected: "a name as on PyPI, optionally with [extras]" });
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9.+!_*-]*$/.test(this.version ?? "")) {
      throw new ConfigurationError(this.version ? `invalid version "${this.version}"` : `package ${this.name} has no version`, {
        component: this.breadcrumbs,
        attribute: "version",
        expected: 'an exact version such as "1.4.2"',
      });
    }
  }
}

/** The options of {@link Package}: `version` is required. */
export type PackageOptions = Pick<Package, "version">;
