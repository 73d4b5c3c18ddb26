import { existsSync } from "node:fs";
import { basename, dirname } from "node:path";
import { Component, ConfigurationError, DeploymentError, UpdateNeeded, writeFileAtomic } from "../batou-core.ts";
import { Mode } from "./attributes.ts";
import { checkParents, type Found, lookAt, readNoFollow } from "./safe-path.ts";
import { decodeText, describeCharacter, ENCODING_NAMES, encodeText, encodingNamed, type TextEncodingName } from "./text-encoding.ts";

/** Equal bytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The current content of a regular file, or why it cannot be read. */
function readCurrent(path: string, found: Found): { bytes: Uint8Array } | { unreadable: string } | undefined {
  if (found.kind !== "file") return undefined;
  try {
    return { bytes: readNoFollow(path) };
  } catch (error) {
    return { unreadable: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
}

/**
 * The base of `Content`, `JSONContent` and `YAMLContent`: a regular file with
 * exactly the bytes `wanted()` gives, written atomically, with a diff of every
 * change (never for `sensitive` content; "binary content changed" for bytes
 * that are not text). A symlink at the path is replaced by the file, never
 * written or read through; a directory there is an error.
 */
export abstract class ManagedContent extends Component {
  static override namevar = "path";
  /** The file; relative paths are inside the workdir. */
  path = "";
  /** Never show a diff of this file (a new file is created with mode 0o600 unless `mode` says otherwise). */
  sensitive = false;
  /** The file's permission bits (`0o640`, `"640"`, `"rw-r-----"`); default: an existing file's, else 0o644. */
  mode: number | string | undefined = undefined;

  #mode?: Mode;

  /**
   * The bytes the file must hold; `undefined` while a source that an earlier
   * component writes does not exist yet.
   */
  protected abstract wanted(): Uint8Array | undefined;

  /** The source file `wanted()` waits for when it gives nothing. */
  protected pendingSource(): string {
    return "(none)";
  }

  /** The encoding the file's text is in, for diffs. */
  protected textEncoding(): TextEncodingName {
    return "utf-8";
  }

  override configure(): void {
    this.path = this.map(this.path);
    this.#mode = this.mode !== undefined ? this.use(new Mode(this.path, { mode: Mode.parseFor(this.mode, this) })) : undefined;
  }

  /** The newest modification time of the file (ms), or undefined when it does not exist. */
  override lastUpdated(): number | undefined {
    const found = lookAt(this.path);
    return found.kind === "missing" ? undefined : found.stat.mtimeMs;
  }

  /**
   * Whether the file's folder exists (false only under -P: an earlier component
   * may create it); throws when the file cannot be written where it is.
   */
  private checkPlace(found: Found): boolean {
    checkParents(this.path, { component: this.breadcrumbs });
    const folder = dirname(this.path);
    if (!existsSync(folder)) {
      if (this.predicting) return false; // an earlier component may create it
      throw new DeploymentError(`directory ${folder} does not exist (add a Directory or use leadingDirs: true)`, {
        component: this.breadcrumbs,
        path: this.path,
      });
    }
    if (found.kind === "directory" || found.kind === "other") {
      throw new DeploymentError(`${this.path} exists and is not a regular file; refusing to replace it`, { component: this.breadcrumbs, path: this.path });
    }
    return true;
  }

  /** The wanted bytes, or (under -P only) undefined when their source does not exist yet. */
  private wantedNow(): Uint8Array | undefined {
    const bytes = this.wanted();
    if (bytes !== undefined || this.predicting) return bytes;
    throw new DeploymentError(`source file not found: ${this.pendingSource()}`, { component: this.breadcrumbs, path: this.path });
  }

  override async verify(): Promise<void> {
    const found = lookAt(this.path);
    const folderExists = this.checkPlace(found);
    const wanted = this.wantedNow();
    if (wanted === undefined) {
      this.log(`source file ${this.pendingSource()} does not exist yet; it is read when deploying (an earlier component may write it)`);
      throw new UpdateNeeded(`${this.path}: source not there yet`);
    }
    if (found.kind === "symlink") this.log(`${this.path} is a symlink (to ${found.target}); it would be replaced by a file`);
    const current = folderExists ? readCurrent(this.path, found) : undefined;
    if (current && "unreadable" in current) {
      this.log(`cannot read the current content of ${this.path} (${current.unreadable}); it would be rewritten`);
      throw new UpdateNeeded(`${this.path} is unreadable`);
    }
    if (current && sameBytes(current.bytes, wanted)) {
      const change = this.#mode?.pendingChange();
      if (change === undefined) return;
      this.log(change);
      throw new UpdateNeeded(change);
    }
    this.showChange(current?.bytes ?? new Uint8Array(), wanted);
    throw new UpdateNeeded(`${this.path} differs`);
  }

  /** Reports the change as a diff (text), or says the binary content changed. */
  private showChange(before: Uint8Array, after: Uint8Array): void {
    const oldText = decodeText(before, this.textEncoding());
    const newText = decodeText(after, this.textEncoding());
    const binary = oldText === undefined || newText === undefined;
    this.showDiff(this.path, oldText ?? "", newText ?? "", { sensitive: this.sensitive, binary });
  }

  override async update(): Promise<void> {
    const found = lookAt(this.path);
    this.checkPlace(found);
    const wanted = this.wantedNow()!;
    const current = readCurrent(this.path, found);
    if (current && "bytes" in current && sameBytes(current.bytes, wanted)) {
      this.#mode?.applyChange();
      return;
    }
    const existing = found.kind === "file" ? found.stat.mode & 0o7777 : undefined;
    const mode = this.#mode ? (this.#mode.mode as number) : (existing ?? (this.sensitive ? 0o600 : 0o644));
    writeFileAtomic(this.path, wanted, { mode });
  }

  override get breadcrumb(): string {
    return `${this.constructor.name}('${basename(this.path)}')`;
  }
}

/**
 * `Content`: a file holding exactly `data`, a string (written in `encoding`,
 * UTF-8 by default) or bytes (a `Uint8Array`, written as they are). No
 * template is rendered: build the string in TypeScript, or use `File` with a
 * `source` template. `File` uses it; it also stands alone.
 *
 * @example
 * ```ts
 * this.add(new Content("motd", { data: `Welcome to ${this.host.name}\n` }));
 * this.add(new Content("logo.png", { data: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) }));
 * ```
 */
export class Content extends ManagedContent {
  /** The text or the bytes of the file. */
  data: string | Uint8Array = "";
  /** How text is written: `"utf-8"` (default), `"latin-1"` or `"ascii"`; text it cannot represent is an error. */
  encoding: string = "utf-8";

  constructor(path: string, options: ContentOptions = {}) {
    super(path, options);
  }

  protected override textEncoding(): TextEncodingName {
    return encodingNamed(this.encoding) ?? "utf-8";
  }

  override configure(): void {
    super.configure();
    // checked now (an error belongs to configure); the bytes are made again when needed, not kept:
    // a tree of many files would hold every file's content twice (10,000 templated files: ~5 MB more at the peak)
    encodeContent(this.data, this.encoding, this.path, this.breadcrumbs);
  }

  protected wanted(): Uint8Array {
    return encodeContent(this.data, this.encoding, this.path, this.breadcrumbs);
  }
}

/** The options of `Content` (each documented on its field). */
export type ContentOptions = Partial<Pick<Content, "data" | "encoding" | "sensitive" | "mode">>;

/**
 * `data` as bytes: text in `encoding` (an error naming `path` and the first
 * character it cannot represent), bytes as they are.
 */
export function encodeContent(data: string | Uint8Array, encoding: string, path: string, component: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data !== "string") {
    throw new ConfigurationError(`the content of ${path} must be a string or a Uint8Array, got ${data === null ? "null" : typeof data}`, { component });
  }
  const name = encodingNamed(encoding);
  if (!name) throw new ConfigurationError(`unknown encoding "${encoding}" for ${path}`, { component, expected: ENCODING_NAMES });
  const encoded = encodeText(data, name);
  if (encoded instanceof Uint8Array) return encoded;
  throw new ConfigurationError(`the content of ${path} cannot be written in ${name}: ${describeCharacter(encoded.character)} at line ${encoded.line}, column ${encoded.column}`, {
    component,
    hint: 'use encoding: "utf-8", or leave the character out',
  });
}
