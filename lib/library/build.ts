import { existsSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { CommandError, Component, ConfigurationError, DeploymentError, UpdateNeeded, writeFileAtomic } from "../batou-core.ts";
import { Download, fileChecksum } from "./download.ts";
import { Extract } from "./extract.ts";

/** What a build is made of; a change to any of it builds again. */
interface BuildRecord {
  archive: string;
  configure: string;
  make: string;
  prefix: string;
  environment: Record<string, string>;
}

const SUFFIX = /\.(tar\.gz|tgz|tar\.bz2|tbz2|tar\.xz|txz|tar|zip)$/i;

/**
 * `Build` (batou's `cmmi`): a source archive downloaded (with its checksum)
 * or taken from a local path, extracted, then `./configure --prefix=PREFIX
 * ARGS`, `make ARGS` and `make install` in the extracted folder. A marker in
 * that folder remembers the archive's checksum and the arguments, so the
 * build runs again only when the archive or an argument changed (batou's
 * cmmi does not notice changed arguments). `configure` and `make` are shell
 * text, like a `Command`'s. Every build starts from a freshly extracted
 * tree (make alone would not rebuild what a new configure changed). A
 * failed step is an error with the end of its output; the marker is written
 * only after `make install` succeeded.
 *
 * @example
 * ```ts
 * this.add(new Build("https://example.com/src/redis-7.2.4.tar.gz", {
 *   checksum: "sha256:8d104c26a154b29fd67d6568b4f375212212ad41e0c2caa3d66480e78dbd3b59",
 *   configure: "--disable-docs",
 *   make: "-j2",
 *   prefix: "/srv/app/redis",
 * }));
 * ```
 */
export class Build extends Component {
  static override namevar = "archive";
  /** The source archive: a URL (downloaded, `checksum` required) or a path in the workdir. */
  archive = "";
  /** `"sha256:HEX"`; required for a URL, checked for a local archive when given. */
  checksum: string | undefined = undefined;
  /** Arguments for `./configure` after `--prefix` (shell text); given as the option `configure`. */
  configureArgs = "";
  /** Arguments for `make` (shell text, e.g. `"-j2"`). */
  make = "";
  /** Where `make install` installs (default: the workdir). */
  prefix = "";
  /** Extra environment variables for the three steps (e.g. `CFLAGS`). */
  env: Record<string, string> = {};
  /** Seconds each step may take (0: no limit). */
  timeout = 0;

  private _source = "";
  private _archivePath = "";
  private _extract?: Extract;

  constructor(archive: string, options: BuildOptions = {}) {
    const { configure, ...rest } = options;
    super(archive, configure === undefined ? rest : { ...rest, configureArgs: configure });
  }

  /** The archive's file name, as batou shows it: `Build('redis-7.2.4.tar.gz')`. */
  override get breadcrumb(): string {
    return `Build('${basename(this.archive.split("?")[0]!)}')`;
  }

  /** The folder the archive is extracted into and built in. */
  get sourcePath(): string {
    return this._source;
  }

  override configure(): void {
    const name = basename(this.archive.split("?")[0]!);
    if (!SUFFIX.test(name)) {
      throw new ConfigurationError(`unknown archive type: ${name}`, { component: this.breadcrumbs, expected: ".tar.gz, .tgz, .tar.bz2, .tar.xz, .tar or .zip" });
    }
    const remote = /^https?:\/\//.test(this.archive);
    if (remote) {
      if (this.checksum === undefined) throw new ConfigurationError("a Build from a URL needs a checksum", { component: this.breadcrumbs, attribute: "checksum", expected: '"sha256:HEX"' });
      const download = this.add(new Download(this.archive, { checksum: this.checksum }));
      this._archivePath = download.targetPath;
    } else {
      this._archivePath = this.map(this.archive);
    }
    this.prefix = this.prefix ? this.map(this.prefix) : this.workdir;
    this._source = this.map(name.replace(SUFFIX, ""));
    this._extract = this.add(new Extract(this._archivePath, { target: this._source, stripComponents: 1 }));
  }

  private get markerPath(): string {
    return join(this._source, ".batou-build.json");
  }

  private async wanted(): Promise<BuildRecord> {
    const archive = this.checksum ?? (existsSync(this._archivePath) ? `sha256:${await fileChecksum(this._archivePath)}` : "(not there yet)");
    return { archive, configure: this.configureArgs, make: this.make, prefix: this.prefix, environment: this.env };
  }

  override async verify(): Promise<void> {
    const wanted = await this.wanted();
    let built: BuildRecord | undefined;
    try {
      built = JSON.parse(readFileSync(this.markerPath, "utf8")) as BuildRecord;
    } catch {}
    if (built && JSON.stringify(built) === JSON.stringify(wanted)) return;
    const what = built === undefined ? "not built yet" : (Object.keys(wanted) as (keyof BuildRecord)[]).filter((key) => JSON.stringify(built![key]) !== JSON.stringify(wanted[key])).join(", ") + " changed";
    this.log(`build in ${this._source} (${what}): ./configure --prefix=${this.prefix}${this.configureArgs ? ` ${this.configureArgs}` : ""}; make${this.make ? ` ${this.make}` : ""}; make install`);
    throw new UpdateNeeded(`${this._source}: ${what}`);
  }

  private async step(command: string): Promise<void> {
    try {
      await this.cmd(command, { cwd: this._source, env: this.env, timeout: this.timeout || undefined });
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      const output = `${error.stdout}\n${error.stderr}`.trim();
      throw new DeploymentError(`${command.split(" ")[0] === "./configure" ? "configure" : command} failed in ${this._source}`, {
        component: this.breadcrumbs,
        command,
        code: error.exitCode,
        output: output.split("\n").slice(-20).join("\n") || undefined,
      });
    }
  }

  override async update(): Promise<void> {
    // every build starts from a freshly extracted tree: make would not rebuild what a new configure changes
    if (!this._extract!.changed) {
      rmSync(this._source, { recursive: true, force: true });
      await this._extract!.update();
    }
    if (!existsSync(join(this._source, "configure"))) {
      throw new DeploymentError(`${this._source} has no configure script`, { component: this.breadcrumbs, hint: "is it an autotools source archive with one top folder?" });
    }
    const quotedPrefix = `'${this.prefix.replaceAll("'", `'\\''`)}'`;
    await this.step(`./configure --prefix=${quotedPrefix}${this.configureArgs ? ` ${this.configureArgs}` : ""}`);
    await this.step(`make${this.make ? ` ${this.make}` : ""}`);
    await this.step("make install");
    writeFileAtomic(this.markerPath, JSON.stringify(await this.wanted(), null, 1) + "\n");
  }
}

/** The options of {@link Build}. */
export type BuildOptions = Partial<Pick<Build, "checksum" | "make" | "prefix" | "env" | "timeout">> & {
  /** Arguments for `./configure` after `--prefix` (shell text); stored as `configureArgs`, since a field `configure` would hide `configure()`. */
  configure?: string;
};
