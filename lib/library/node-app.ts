import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { CommandError, Component, ConfigurationError, DeploymentError, UpdateNeeded, writeFileAtomic } from "../batou-core.ts";

/** The installer's command line (argv, no shell). */
export function installCommand(installer: "npm" | "bun", options: { production: boolean; registry?: string }): string[] {
  if (installer === "bun") return ["bun", "install", "--frozen-lockfile", ...(options.production ? ["--production"] : []), ...(options.registry ? ["--registry", options.registry] : [])];
  return ["npm", "ci", "--no-audit", "--no-fund", ...(options.production ? ["--omit=dev"] : []), ...(options.registry ? ["--registry", options.registry] : [])];
}

/**
 * `NodeApp`: the dependencies of a Node.js application installed from its
 * lockfile, with `npm ci` (or `bun install --frozen-lockfile`), only when the
 * lockfile or `package.json` changed since the last install (their hash is
 * kept in `node_modules/.batou-nodeapp.json`) or `node_modules` is gone. The
 * application's files come from elsewhere (a `Directory` with `source`, a
 * `GitClone`); under `-P` a folder they would bring is reported as pending,
 * not as an error. The lockfile is never changed: one that does not match
 * `package.json` is an error of the installer, shown with its output.
 *
 * @example
 * ```ts
 * this.add(new GitClone("https://git.example.com/web.git", { target: "web", branch: "main" }));
 * this.add(new NodeApp("web", { production: true }));
 * ```
 */
export class NodeApp extends Component {
  static override namevar = "path";
  /** The application's folder (with package.json); relative paths are inside the workdir. */
  path = "";
  /** `npm` (default) or `bun`. */
  installer: "npm" | "bun" = "npm";
  /** The lockfile (default `package-lock.json` for npm, `bun.lock` for bun). */
  lockfile = "";
  /** Leave out development dependencies (npm's `--omit=dev`, bun's `--production`). */
  production = false;
  /** A registry URL (e.g. a mirror inside the network); default: the user's npm configuration. */
  registry: string | undefined = undefined;
  /** Seconds the installer may take (default 600). */
  timeout = 600;

  constructor(path: string, options: NodeAppOptions = {}) {
    super(path, options);
  }

  /** The application's folder. */
  get appPath(): string {
    return this.map(this.path);
  }

  private get markerPath(): string {
    return join(this.appPath, "node_modules", ".batou-nodeapp.json");
  }

  override configure(): void {
    if (this.installer !== "npm" && this.installer !== "bun") {
      throw new ConfigurationError(`unknown installer "${this.installer}"`, { component: this.breadcrumbs, attribute: "installer", expected: "npm or bun" });
    }
    this.lockfile ||= this.installer === "bun" ? "bun.lock" : "package-lock.json";
    if (this.registry !== undefined && !/^https?:\/\/\S+$/.test(this.registry)) {
      throw new ConfigurationError(`invalid registry "${this.registry}"`, { component: this.breadcrumbs, attribute: "registry", expected: "an http(s) URL" });
    }
  }

  /** What an install is made from: the hash of package.json and the lockfile, and the options. */
  private state(): string | undefined {
    const lockfile = join(this.appPath, this.lockfile);
    const manifest = join(this.appPath, "package.json");
    if (!existsSync(lockfile) || !existsSync(manifest)) return undefined;
    const hash = new Bun.CryptoHasher("sha256").update(readFileSync(manifest)).update("\0").update(readFileSync(lockfile)).digest("hex");
    return JSON.stringify({ hash, command: installCommand(this.installer, { production: this.production, registry: this.registry }) });
  }

  override async verify(): Promise<void> {
    const state = this.state();
    if (state === undefined) {
      const missing = existsSync(join(this.appPath, "package.json")) ? this.lockfile : "package.json";
      if (!this.predicting) {
        throw new DeploymentError(`${this.appPath} has no ${missing}`, { component: this.breadcrumbs, hint: `${this.installer === "bun" ? "bun install" : "npm install"} writes the lockfile; deploy it with the application` });
      }
      this.log(`would install the dependencies of ${this.appPath} once its ${missing} is there`);
      throw new UpdateNeeded(`${this.appPath}/${missing} does not exist yet`);
    }
    const installed = existsSync(this.markerPath) ? readFileSync(this.markerPath, "utf8").trim() : undefined;
    if (installed === state) return;
    this.log(`${installCommand(this.installer, { production: this.production, registry: this.registry }).join(" ")} in ${this.appPath} (${installed === undefined ? "not installed yet" : `${this.lockfile} or package.json changed`})`);
    throw new UpdateNeeded(`${this.appPath}: dependencies not installed from the current ${this.lockfile}`);
  }

  override async update(): Promise<void> {
    const state = this.state();
    const command = installCommand(this.installer, { production: this.production, registry: this.registry });
    try {
      await this.cmd(command, { cwd: this.appPath, timeout: this.timeout, env: { npm_config_update_notifier: "false", NO_COLOR: "1" } });
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      const output = `${error.stdout}\n${error.stderr}`.trim();
      throw new DeploymentError(error.exitCode === 127 ? `${this.installer} is not installed` : `${command.slice(0, 2).join(" ")} failed in ${this.appPath}`, {
        component: this.breadcrumbs,
        code: error.exitCode,
        // npm says what is wrong first, then prints its usage
        output: output.split("\n").slice(0, 20).join("\n") || undefined,
      });
    }
    mkdirSync(dirname(this.markerPath), { recursive: true }); // none when there are no dependencies
    writeFileAtomic(this.markerPath, state + "\n");
  }
}

/** The options of {@link NodeApp}. */
export type NodeAppOptions = Partial<Pick<NodeApp, "installer" | "lockfile" | "production" | "registry" | "timeout">>;
