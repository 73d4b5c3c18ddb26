import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CommandError, Component, ConfigurationError, DeploymentError, UpdateNeeded, writeFileAtomic } from "../batou-core.ts";
import { fileChecksum } from "./download.ts";

const SUFFIXES: [string, "tar" | "zip"][] = [
  [".tar.gz", "tar"],
  [".tgz", "tar"],
  [".tar.bz2", "tar"],
  [".tbz2", "tar"],
  [".tar.xz", "tar"],
  [".txz", "tar"],
  [".tar", "tar"],
  [".zip", "zip"],
];

interface Marker {
  archive: string;
  checksum: string;
  stripComponents: number;
  files: string[];
}

/** Moves the content of `from` into `to`, merging folders, replacing files. */
function mergeMove(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    const destination = join(to, name);
    const existing = existsSync(destination) ? lstatSync(destination) : undefined;
    if (lstatSync(source).isDirectory() && existing?.isDirectory()) {
      mergeMove(source, destination);
    } else {
      if (existing) rmSync(destination, { recursive: true, force: true });
      renameSync(source, destination);
    }
  }
}

/**
 * `Extract`: an archive unpacked into a folder. tar, tar.gz/tgz, tar.bz2/tbz2,
 * tar.xz/txz (through the system `tar`) and zip (through `unzip`).
 * `stripComponents` drops leading path components of every entry, like
 * `tar --strip-components`. A marker beside the target remembers the
 * archive's checksum and the extracted files, so a second deploy changes
 * nothing until the archive changes or an extracted file goes missing. Files
 * already in the target are overwritten, other files are left alone.
 *
 * @example
 * ```ts
 * const download = this.add(new Download("https://example.com/app-1.2.tar.gz", { checksum: "sha256:..." }));
 * this.add(new Extract(download.target!, { target: "app", stripComponents: 1 }));
 * ```
 */
export class Extract extends Component {
  static override namevar = "archive";
  /** The archive (relative paths are inside the workdir). */
  archive = "";
  /** The folder to unpack into (default: the archive's path without its suffix). */
  target: string | undefined = undefined;
  /** Leading path components to drop from every entry. */
  stripComponents = 0;

  constructor(archive: string, options: ExtractOptions = {}) {
    super(archive, options);
  }

  override get breadcrumb(): string {
    return `Extract('${basename(this.archive)}')`;
  }

  get archivePath(): string {
    return this.map(this.archive);
  }

  get targetPath(): string {
    return this.map(this.target!);
  }

  get kind(): "tar" | "zip" {
    return SUFFIXES.find(([suffix]) => this.archive.toLowerCase().endsWith(suffix))![1];
  }

  /** Where the marker lives: a hidden file beside the target. */
  get markerPath(): string {
    return join(dirname(this.targetPath), `.${basename(this.targetPath)}.batou-extract.json`);
  }

  override configure(): void {
    const found = SUFFIXES.find(([suffix]) => this.archive.toLowerCase().endsWith(suffix));
    if (!found) {
      throw new ConfigurationError(`unknown archive type: ${this.archive}`, {
        component: this.breadcrumbs,
        expected: SUFFIXES.map(([suffix]) => suffix).join(", "),
      });
    }
    if (!Number.isInteger(this.stripComponents) || this.stripComponents < 0) {
      throw new ConfigurationError(`stripComponents must be a whole number ≥ 0`, { component: this.breadcrumbs });
    }
    if (this.target === undefined) {
      const mapped = this.archivePath;
      this.target = mapped.slice(0, mapped.length - found[0].length);
    }
  }

  private fail(message: string, error?: unknown): never {
    const context: Record<string, string | undefined> = { component: this.breadcrumbs, archive: this.archivePath, target: this.targetPath };
    if (error instanceof CommandError) {
      if (error.exitCode === 127) message = `${this.kind === "zip" ? "unzip" : "tar"} is not installed`;
      Object.assign(context, error.context);
    }
    throw new DeploymentError(message, context);
  }

  /** The archive's file entries (not folders) after stripping, relative to the target. */
  async entries(): Promise<string[]> {
    let names: string[];
    try {
      const listing =
        this.kind === "zip" ? await this.cmd(["unzip", "-Z1", this.archivePath]) : await this.cmd(["tar", "-tf", this.archivePath]);
      names = listing.stdout.split("\n").filter(Boolean);
    } catch (error) {
      this.fail(`cannot list ${this.archivePath}`, error);
    }
    const files = new Set<string>();
    for (const name of names) {
      if (name.endsWith("/")) continue;
      const parts = name.replace(/^\.\//, "").split("/").filter((part) => part && part !== ".");
      if (parts.length <= this.stripComponents) continue;
      files.add(parts.slice(this.stripComponents).join("/"));
    }
    return [...files].sort();
  }

  private readMarker(): Marker | undefined {
    try {
      return JSON.parse(readFileSync(this.markerPath, "utf8")) as Marker;
    } catch {
      return undefined;
    }
  }

  override async verify(): Promise<void> {
    if (!existsSync(this.archivePath)) {
      this.log(`would extract ${this.archivePath} into ${this.targetPath} once it exists`);
      throw new UpdateNeeded(`${this.archivePath} does not exist yet`);
    }
    const checksum = `sha256:${await fileChecksum(this.archivePath)}`;
    const marker = this.readMarker();
    const current =
      marker !== undefined &&
      marker.checksum === checksum &&
      marker.stripComponents === this.stripComponents &&
      existsSync(this.targetPath) &&
      marker.files.every((file) => existsSync(join(this.targetPath, file)));
    if (current) return;
    const files = await this.entries();
    const shown = files.slice(0, 20).join("\n  ");
    this.log(`extract ${files.length} file(s) into ${this.targetPath}:\n  ${shown}${files.length > 20 ? "\n  ..." : ""}`);
    throw new UpdateNeeded(`${this.archivePath} is not extracted into ${this.targetPath}`);
  }

  override async update(): Promise<void> {
    const archive = this.archivePath;
    const target = this.targetPath;
    if (!existsSync(archive)) this.fail(`archive not found: ${archive}`);
    const checksum = `sha256:${await fileChecksum(archive)}`;
    const files = await this.entries();
    mkdirSync(target, { recursive: true });
    try {
      if (this.kind === "tar") {
        await this.cmd(["tar", "-xf", archive, "-C", target, `--strip-components=${this.stripComponents}`, "--no-same-owner"]);
      } else if (this.stripComponents === 0) {
        await this.cmd(["unzip", "-o", "-q", archive, "-d", target]);
      } else {
        const temp = mkdtempSync(join(dirname(target), `.${basename(target)}.batou-unzip-`));
        try {
          await this.cmd(["unzip", "-o", "-q", archive, "-d", temp]);
          let level = [temp];
          for (let i = 0; i < this.stripComponents; i++) {
            level = level.flatMap((dir) =>
              readdirSync(dir)
                .map((name) => join(dir, name))
                .filter((path) => lstatSync(path).isDirectory()),
            );
          }
          for (const dir of level) mergeMove(dir, target);
        } finally {
          rmSync(temp, { recursive: true, force: true });
        }
      }
    } catch (error) {
      if (error instanceof DeploymentError) throw error;
      this.fail(`extracting ${archive} failed`, error);
    }
    const marker: Marker = { archive, checksum, stripComponents: this.stripComponents, files };
    writeFileAtomic(this.markerPath, JSON.stringify(marker, null, 1) + "\n");
  }
}

/** The options of {@link Extract}. */
export type ExtractOptions = Partial<Pick<Extract, "target" | "stripComponents">>;
