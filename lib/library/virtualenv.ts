import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CommandError, Component, ConfigurationError, DeploymentError, UpdateNeeded, replaceAtomic, writeFileAtomic } from "../batou-core.ts";

/** Changes when the way environments are built changes, so old ones are rebuilt. */
const FORMAT = "batou-virtualenv-1";
const READY = ".batou-ready";

/** A child that contributes lines to the environment's requirements (`Requirements`, `Package`). */
export interface RequirementSource {
  readonly requirementLines: string;
}

/** What an environment is made of; its hash names its folder. */
export interface EnvironmentInputs {
  pythonVersion: string;
  pythonPath: string;
  requirements: string;
  pipOptions: string[];
}

/** The environment's folder name: 12 hex digits of a sha256 over its inputs. */
export function environmentHash(inputs: EnvironmentInputs): string {
  const text = [FORMAT, inputs.pythonVersion, inputs.pythonPath, inputs.pipOptions.join("\n"), inputs.requirements].join("\0");
  return new Bun.CryptoHasher("sha256").update(text).digest("hex").slice(0, 12);
}

function isRequirementSource(component: Component): component is Component & RequirementSource {
  return typeof (component as unknown as Partial<RequirementSource>).requirementLines === "string";
}

/**
 * `VirtualEnv`: a Python virtual environment with the packages of its
 * `Requirements` and `Package` children, in batou's AppEnv way. Each
 * environment lives in a folder named after a hash of what it is made of (the
 * interpreter's version and path, the requirement lines, the pip options), so
 * a new interpreter version or a changed requirements file builds a new
 * environment beside the old one, and nothing is installed when none of it
 * changed. `path` is a symlink to the current environment, switched
 * atomically once the new one is complete (`venv/bin/python` keeps working
 * during the build); after a switch, environments other than the new and the
 * previous one are removed. A failed build leaves the link where it was.
 *
 * pip installs with its usual dependency resolution and then runs `pip check`;
 * `index`, `findLinks` and `noIndex` point it at a local index or a folder of
 * wheels (nothing needs to come from PyPI).
 *
 * @example
 * ```ts
 * const venv = this.add(new VirtualEnv("venv", { python: "python3.11" }));
 * venv.add(new Requirements("requirements.lock"));
 * venv.add(new Package("gunicorn", { version: "22.0.0" }));
 * // venv/bin/gunicorn
 * ```
 */
export class VirtualEnv extends Component {
  static override namevar = "path";
  /** The environment's folder; relative paths are inside the workdir. */
  path = "";
  /** The interpreter that makes the environment (default `python3`). */
  python = "python3";
  /** A package index URL (pip's `--index-url`), e.g. a simple index inside the network. */
  index: string | undefined = undefined;
  /** Folders or URLs with wheels (pip's `--find-links`). */
  findLinks: string[] = [];
  /** Use no index at all, only `findLinks` (pip's `--no-index`). */
  noIndex = false;
  /** Seconds for each pip run (default 600). */
  timeout = 600;

  /** What verify found, for update. */
  private _inputs?: EnvironmentInputs;
  private _hash = "";

  constructor(path: string, options: VirtualEnvOptions = {}) {
    super(path, options);
  }

  /** The symlink to the current environment. */
  get linkPath(): string {
    return this.map(this.path);
  }

  /** The folder holding the environments, beside the link. */
  get environmentsPath(): string {
    return join(dirname(this.linkPath), `.${basename(this.linkPath)}.envs`);
  }

  /** The interpreter of the current environment. */
  get pythonPath(): string {
    return join(this.linkPath, "bin", "python");
  }

  override configure(): void {
    if (!/^[\w./+-]+$/.test(this.python)) {
      throw new ConfigurationError(`invalid python "${this.python}"`, { component: this.breadcrumbs, attribute: "python", expected: "a command name or path such as python3.11" });
    }
    if (!Array.isArray(this.findLinks)) throw new ConfigurationError("findLinks is not a list", { component: this.breadcrumbs, attribute: "findLinks" });
  }

  /** pip's options from `index`, `findLinks`, `noIndex`. */
  get pipOptions(): string[] {
    return [
      ...(this.noIndex ? ["--no-index"] : []),
      ...(this.index ? ["--index-url", this.index] : []),
      ...this.findLinks.flatMap((link) => ["--find-links", /^\w+:\/\//.test(link) ? link : this.map(link)]),
    ];
  }

  /** The requirement lines of the children, in order. */
  get requirements(): string {
    return this.subComponents
      .filter(isRequirementSource)
      .map((child) => child.requirementLines.trimEnd() + "\n")
      .join("");
  }

  private async run(command: string[], what: string, env: Record<string, string> = {}) {
    try {
      return await this.cmd(command, { timeout: this.timeout, env: { PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_INPUT: "1", ...env } });
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      const output = `${error.stdout}\n${error.stderr}`.trim().split("\n").slice(-20).join("\n");
      throw new DeploymentError(error.exitCode === 127 ? `${command[0]} not found` : `${what} failed`, {
        component: this.breadcrumbs,
        command: command.join(" "),
        output: output || undefined,
        hint: error.exitCode === 127 ? "install it, or set python to an interpreter the host has" : undefined,
      });
    }
  }

  /** The interpreter's version and real path, asked from it. */
  private async interpreter(): Promise<{ version: string; path: string }> {
    const { stdout } = await this.run([this.python, "-c", "import os, platform, sys; print(platform.python_implementation(), platform.python_version()); print(os.path.realpath(sys.executable))"], `${this.python} -c`);
    const [version = "", path = ""] = stdout.trim().split("\n");
    return { version, path };
  }

  /** The environment the link points to, if it is one of ours. */
  private currentHash(): string | undefined {
    try {
      if (!lstatSync(this.linkPath).isSymbolicLink()) {
        throw new DeploymentError(`${this.linkPath} exists and is not a symlink; refusing to replace it`, { component: this.breadcrumbs, hint: "remove it (an environment made by hand?), then deploy again" });
      }
    } catch (error) {
      if (error instanceof DeploymentError) throw error;
      return undefined;
    }
    const target = readlinkSync(this.linkPath);
    return dirname(target) === basename(this.environmentsPath) ? basename(target) : undefined;
  }

  override async verify(): Promise<void> {
    const interpreter = await this.interpreter();
    this._inputs = { pythonVersion: interpreter.version, pythonPath: interpreter.path, requirements: this.requirements, pipOptions: this.pipOptions };
    this._hash = environmentHash(this._inputs);
    const current = this.currentHash();
    if (current === this._hash && existsSync(join(this.environmentsPath, this._hash, READY))) return;
    const why = current === undefined ? "no environment yet" : existsSync(join(this.environmentsPath, this._hash, READY)) ? "switch back" : "interpreter or requirements changed";
    this.log(`${this.linkPath}: ${why}; ${existsSync(join(this.environmentsPath, this._hash, READY)) ? "use" : "build"} ${interpreter.version} environment ${this._hash}${current ? ` (now ${current})` : ""}`);
    throw new UpdateNeeded(`${this.linkPath} is not environment ${this._hash}`);
  }

  override async update(): Promise<void> {
    const hash = this._hash;
    const folder = join(this.environmentsPath, hash);
    const previous = this.currentHash();
    if (!existsSync(join(folder, READY))) {
      // a folder without the marker is a build that failed or was interrupted
      rmSync(folder, { recursive: true, force: true });
      mkdirSync(this.environmentsPath, { recursive: true });
      await this.run([this.python, "-m", "venv", "--without-pip", folder], `${this.python} -m venv`);
      const python = join(folder, "bin", "python");
      // pip separately: venv hides ensurepip's output when it fails
      await this.run([python, "-m", "ensurepip", "--default-pip"], "ensurepip", { PYTHONNOUSERSITE: "1" });
      const requirements = join(folder, "requirements.txt");
      writeFileAtomic(requirements, this._inputs!.requirements);
      if (this._inputs!.requirements.trim()) {
        await this.run([python, "-m", "pip", "install", "--quiet", ...this.pipOptions, "-r", requirements], "pip install");
      }
      await this.run([python, "-m", "pip", "check"], "pip check");
      writeFileAtomic(join(folder, READY), JSON.stringify(this._inputs, null, 1) + "\n");
    }
    replaceAtomic(this.linkPath, (temporary) => symlinkSync(join(basename(this.environmentsPath), hash), temporary));
    for (const name of readdirSync(this.environmentsPath)) {
      if (name !== hash && name !== previous) rmSync(join(this.environmentsPath, name), { recursive: true, force: true });
    }
  }
}

/** The options of {@link VirtualEnv}. */
export type VirtualEnvOptions = Partial<Pick<VirtualEnv, "python" | "index" | "findLinks" | "noIndex" | "timeout">>;
