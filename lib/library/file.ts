import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join } from "node:path";
import { Component, ConfigurationError } from "../batou-core.ts";
import { Group, Mode, Owner } from "./attributes.ts";
import { Content } from "./content.ts";
import { Directory } from "./directory.ts";
import { Symlink } from "./symlink.ts";
import { decodeText, encodingNamed } from "./text-encoding.ts";

/** What `File` makes at its path. */
export type FileKind = "file" | "directory" | "symlink";

/**
 * `File`: the facade of the file family, as in Python batou. With `ensure:
 * "file"` (the default) a file whose content comes from `content` (a string,
 * or a `Uint8Array` copied byte for byte; never a template) or from a `source`
 * file next to component.ts: a Jinja2-style template (`template: true`, the
 * default; `{{ args.x }}` reaches `templateArgs`) or, with `template: false`,
 * its bytes as they are. Without either, the file of the same name next to
 * component.ts is the source. Written atomically through `Content`, with a
 * diff of every change; then `owner` and `group`.
 *
 * With `ensure: "directory"` it is a `Directory` (`source` syncs a folder);
 * with `ensure: "symlink"` a `Symlink` to `linkTo`.
 *
 * @example
 * ```ts
 * this.add(new File("app.conf", { source: "app.conf.j2", templateArgs: { port: 8080 } }));
 * this.add(new File("/etc/motd", { content: `Welcome to ${this.host.name}\n`, mode: 0o644 }));
 * this.add(new File("logo.png", { source: "logo.png", template: false }));
 * this.add(new File("current", { ensure: "symlink", linkTo: "releases/v2" }));
 * ```
 */
export class File extends Component {
  static override namevar = "path";
  /** The path; relative paths are inside the workdir. */
  path = "";
  /** `"file"` (default), `"directory"` or `"symlink"`. */
  ensure: FileKind = "file";
  /** The content: a string (written in `encoding`) or bytes; never rendered as a template. */
  content: string | Uint8Array | undefined = undefined;
  /**
   * A file next to component.ts (or absolute) whose content to use; with
   * `ensure: "directory"`, a folder to mirror.
   */
  source: string | undefined = undefined;
  /**
   * Render `source` as a Jinja2-style template (default true). Given as the
   * option `template` (a field of that name would hide `Component.template()`);
   * Python batou calls it `is_template`.
   */
  isTemplate = true;
  /** Values a template reaches as `args` (`{{ args.port }}`). */
  templateArgs: Record<string, unknown> = {};
  /** How text is read and written: `"utf-8"` (default), `"latin-1"` or `"ascii"`. */
  encoding = "utf-8";
  /** Permission bits: `0o644`, `"644"` or `"rw-r--r--"`. */
  mode: number | string | undefined = undefined;
  /** Owner (a user name or uid). */
  owner: string | undefined = undefined;
  /** Group (a group name or gid). */
  group: string | undefined = undefined;
  /** What the symlink points to (`ensure: "symlink"`). */
  linkTo: string | undefined = undefined;
  /** Create missing parent directories. */
  leadingDirs = false;
  /** Never show a diff of this file (and create it with mode 0o600 unless `mode` says otherwise). */
  sensitive = false;

  /** The child that makes the path itself (its Content, Directory or Symlink). */
  #made?: Component;

  constructor(path: string, options: FileOptions = {}) {
    // `template` would shadow Component.template(); it is stored as `isTemplate`.
    const { template, ...rest } = options;
    super(path, template === undefined ? rest : { ...rest, isTemplate: template });
  }

  override configure(): void {
    const target = this.map(this.path);
    const fail = (message: string, hint?: string) => new ConfigurationError(message, { component: this.breadcrumbs, hint });
    if (!["file", "directory", "symlink"].includes(this.ensure)) {
      throw fail(`File('${this.path}'): ensure must be "file", "directory" or "symlink", not ${JSON.stringify(this.ensure)}`);
    }
    if (this.ensure !== "symlink" && this.linkTo !== undefined) throw fail(`File('${this.path}'): linkTo needs ensure: "symlink"`);
    const mode = this.mode === undefined ? undefined : Mode.parseFor(this.mode, this);
    if (this.ensure === "file") {
      if (this.leadingDirs) this.add(new Directory(dirname(target), { leadingDirs: true }));
      const data = this.renderContent();
      this.#made = this.add(new Content(target, { data, encoding: this.encoding, sensitive: this.sensitive, mode }));
    } else if (this.ensure === "directory") {
      if (this.content !== undefined) throw fail(`File('${this.path}'): a directory has no content`, 'use source: "folder" to mirror a folder');
      this.#made = this.add(new Directory(target, { leadingDirs: this.leadingDirs, source: this.source, mode }));
    } else {
      if (!this.linkTo) throw fail(`File('${this.path}'): ensure: "symlink" needs linkTo`);
      if (this.content !== undefined || this.source !== undefined) throw fail(`File('${this.path}'): a symlink has no content or source`);
      if (mode !== undefined) throw fail(`File('${this.path}'): a symlink has no mode of its own`);
      if (this.leadingDirs) this.add(new Directory(dirname(target), { leadingDirs: true }));
      this.#made = this.add(new Symlink(target, { target: this.linkTo }));
    }
    if (this.owner !== undefined) this.add(new Owner(target, { owner: this.owner }));
    if (this.group !== undefined) this.add(new Group(target, { group: this.group }));
  }

  /** The modification time of the path (ms), or undefined when it does not exist. */
  override lastUpdated(): number | undefined {
    return this.#made?.lastUpdated();
  }

  /** The content of the file (Content writes text in `encoding`): `content`, or `source` rendered (a template) or its bytes. */
  private renderContent(): string | Uint8Array {
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
        { component: this.breadcrumbs, hint: this.source === undefined ? 'for an empty file use { content: "" }; for "exists, content untouched" use Presence' : undefined },
      );
    }
    const bytes = new Uint8Array(readFileSync(file));
    if (!this.isTemplate) return bytes;
    const encoding = encodingNamed(this.encoding);
    const text = encoding ? decodeText(bytes, encoding) : undefined;
    if (encoding && text === undefined) {
      throw new ConfigurationError(`template ${file} is not valid ${encoding} text`, {
        component: this.breadcrumbs,
        hint: "set encoding to the file's encoding, or template: false to copy it byte for byte",
      });
    }
    // An unknown encoding (no text) is reported by Content, naming the choices.
    return text === undefined ? "" : this.renderTemplate(file, text);
  }

  /**
   * Renders the template `file` (its `text` decoded: the file is read once) in the context of the
   * component that added this File; an error names the file.
   */
  private renderTemplate(file: string, text: string): string {
    const owner = this.parent ?? this;
    try {
      return owner.expand(text, { args: this.templateArgs });
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      throw new ConfigurationError(error.message, { ...error.context, template: file }, { cause: error });
    }
  }
}

/** The options of `File` (each documented on its field; `template` sets `isTemplate`). */
export type FileOptions = Partial<
  Pick<File, "ensure" | "content" | "source" | "templateArgs" | "encoding" | "mode" | "owner" | "group" | "linkTo" | "leadingDirs" | "sensitive">
> & {
  /** Render `source` as a Jinja2-style template (default true); `false` copies it byte for byte. */
  template?: boolean;
};
