/**
 * `File`: a file with the given content, written atomically, with a unified
 * diff of every change (never for sensitive content).
 *
 * @example
 * ```ts
 * this.add(new File("app.conf", { source: "app.conf.j2", templateArgs: { port: 8080 } }));
 * this.add(new File("/etc/motd", { content: "Welcome\n", mode: 0o644 }));
 * ```
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join } from "node:path";
import { Component, ConfigurationError, UpdateNeeded, writeFileAtomic } from "../batou-core.ts";
import { Group, Mode, Owner } from "./attributes.ts";
import { Directory } from "./directory.ts";

export interface FileOptions {
  content?: string;
  source?: string;
  template?: boolean;
  templateArgs?: Record<string, unknown>;
  mode?: number | string;
  owner?: string;
  group?: string;
  leadingDirs?: boolean;
  sensitive?: boolean;
}

export class File extends Component {
  static override namevar = "path";
  path = "";
  /** The content as a string; or use `source`. */
  content: string | undefined = undefined;
  /** A file next to component.ts (or an absolute path) whose content to use. */
  source: string | undefined = undefined;
  /** Render `source` as a Jinja2-style template (default true; the `template` option). */
  isTemplate = true;
  /** Reach the template as `args`. */
  templateArgs: Record<string, unknown> = {};
  mode: number | string | undefined = undefined;
  owner: string | undefined = undefined;
  group: string | undefined = undefined;
  /** Create missing parent directories. */
  leadingDirs = false;
  /** Never show a diff of this file. */
  sensitive = false;

  constructor(path: string, options: FileOptions = {}) {
    // `template` would shadow Component.template(); it is stored as `isTemplate`.
    const { template, ...rest } = options;
    super(path, template === undefined ? rest : { ...rest, isTemplate: template });
  }

  override configure(): void {
    const target = this.map(this.path);
    if (this.leadingDirs) this.add(new Directory(dirname(target), { leadingDirs: true }));
    this.add(new Content(target, { data: this.renderContent(), sensitive: this.sensitive, mode: this.mode }));
    if (this.mode !== undefined) this.add(new Mode(target, { mode: this.mode }));
    if (this.owner !== undefined) this.add(new Owner(target, { owner: this.owner }));
    if (this.group !== undefined) this.add(new Group(target, { group: this.group }));
  }

  private renderContent(): string {
    if (this.content !== undefined && this.source !== undefined) {
      throw new ConfigurationError(`File('${this.path}') has both content and source`, { component: this.breadcrumbs });
    }
    if (this.content !== undefined) return this.content;
    const source = this.source ?? basename(this.path);
    const file = isAbsolute(source) ? source : join(this.defdir, source);
    if (!existsSync(file)) {
      throw new ConfigurationError(
        this.source === undefined
          ? `File('${this.path}') has no content, no source, and no file ${source} next to the component`
          : `source file not found: ${file}`,
        { component: this.breadcrumbs, hint: this.source === undefined ? "for an empty file use { content: \"\" }" : undefined },
      );
    }
    if (!this.isTemplate) return readFileSync(file, "utf8");
    const owner = this.parent ?? this;
    return owner.template(file, { args: this.templateArgs }).slice(0, -1);
  }
}

/** The content of a file; part of `File`, usable alone. */
export class Content extends Component {
  static override namevar = "path";
  path = "";
  data = "";
  sensitive = false;
  /** Mode for a newly created file (the `Mode` child keeps it right afterwards). */
  mode: number | string | undefined = undefined;

  constructor(path: string, options: { data?: string; sensitive?: boolean; mode?: number | string } = {}) {
    super(path, options);
  }

  override async verify(): Promise<void> {
    const current = existsSync(this.path) ? readFileSync(this.path, "utf8") : undefined;
    if (current === this.data) return;
    this.showDiff(this.path, current ?? "", this.data, { sensitive: this.sensitive });
    throw new UpdateNeeded(`${this.path} differs`);
  }

  override async update(): Promise<void> {
    const existing = existsSync(this.path) ? statSync(this.path).mode & 0o7777 : undefined;
    const mode = existing ?? (this.mode !== undefined ? Mode.parse(this.mode) : this.sensitive ? 0o600 : 0o644);
    writeFileAtomic(this.path, this.data, { mode });
  }

  override get breadcrumb(): string {
    return `Content('${basename(this.path)}')`;
  }
}
