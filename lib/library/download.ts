import { existsSync } from "node:fs";
import { AtomicFile, Component, ConfigurationError, DeploymentError, UpdateNeeded } from "../batou-core.ts";
import { hidePassword } from "./url-password.ts";

const ALGORITHMS = ["sha256", "sha512", "sha384", "sha1", "md5"] as const;
type Algorithm = (typeof ALGORITHMS)[number];

/** Hashes a file without reading it into memory at once. */
export async function fileChecksum(path: string, algorithm: Algorithm = "sha256"): Promise<string> {
  const hasher = new Bun.CryptoHasher(algorithm);
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}

/**
 * `Download`: a file fetched over http(s) whose content has a known checksum.
 * The checksum is required (`"sha256:HEX"`; `sha512`, `sha1` and `md5` work
 * too). Verify only hashes the local file, it never touches the network. The
 * download goes to a temporary file beside the target and is renamed into
 * place only when the checksum matches; a mismatch is an error naming the URL,
 * the expected and the actual checksum, and leaves no file behind.
 *
 * @example
 * ```ts
 * this.add(new Download("https://example.com/tool-1.2.tar.gz", {
 *   checksum: "sha256:3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
 * }));
 * ```
 */
export class Download extends Component {
  static override namevar = "url";
  /** The http(s) URL to fetch. */
  url = "";
  /** Where to store it (default: the URL's last path segment, in the workdir). */
  target: string | undefined = undefined;
  /** `"sha256:HEX"`. */
  checksum = "";
  /** Seconds before the download is aborted (0: no limit). */
  timeout = 0;
  /** Extra request headers (e.g. authorization). */
  headers: Record<string, string> = {};

  constructor(url: string, options: DownloadOptions) {
    super(url, options);
  }

  /** The URL with a password replaced by `*****`, for messages. */
  get safeUrl(): string {
    return hidePassword(this.url);
  }

  override get breadcrumb(): string {
    return `Download('${this.safeUrl}')`;
  }

  /** The absolute target path. */
  get targetPath(): string {
    return this.map(this.target!);
  }

  get algorithm(): Algorithm {
    return this.checksum.split(":")[0] as Algorithm;
  }

  get digest(): string {
    return this.checksum.split(":")[1]!.toLowerCase();
  }

  override configure(): void {
    let url: URL;
    try {
      url = new URL(this.url);
    } catch {
      throw new ConfigurationError(`not a URL: ${this.url}`, { component: this.breadcrumbs });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new ConfigurationError(`Download supports http and https only, not ${url.protocol}`, { component: this.breadcrumbs });
    }
    if (this.target === undefined) {
      const last = decodeURIComponent(url.pathname.split("/").at(-1) ?? "");
      if (!last) {
        throw new ConfigurationError(`no target given and the URL does not end in a file name: ${this.safeUrl}`, {
          component: this.breadcrumbs,
          hint: "set { target: \"name\" }",
        });
      }
      this.target = last;
    }
    const match = /^([a-z0-9]+):([0-9a-fA-F]+)$/.exec(this.checksum ?? "");
    if (!match) {
      throw new ConfigurationError(`Download needs a checksum like "sha256:HEX"`, {
        component: this.breadcrumbs,
        given: this.checksum || "(none)",
      });
    }
    if (!ALGORITHMS.includes(match[1] as Algorithm)) {
      throw new ConfigurationError(`unknown checksum algorithm "${match[1]}"`, { component: this.breadcrumbs, expected: ALGORITHMS.join(", ") });
    }
  }

  override async verify(): Promise<void> {
    if (!existsSync(this.targetPath)) throw new UpdateNeeded(`${this.targetPath} does not exist`);
    const got = await fileChecksum(this.targetPath, this.algorithm);
    if (got !== this.digest) {
      this.log(`${this.targetPath} has checksum ${this.algorithm}:${got}, expected ${this.checksum}: downloading again`);
      throw new UpdateNeeded(`checksum of ${this.targetPath} differs`);
    }
  }

  override async update(): Promise<void> {
    const target = this.targetPath;
    const context = { component: this.breadcrumbs, url: this.safeUrl, path: target };
    let response: Response;
    try {
      response = await fetch(this.url, {
        headers: this.headers,
        redirect: "follow",
        signal: this.timeout > 0 ? AbortSignal.timeout(this.timeout * 1000) : undefined,
      });
    } catch (error) {
      throw new DeploymentError(`download failed: ${(error as Error).message}`, context);
    }
    if (!response.ok || !response.body) {
      throw new DeploymentError(`download failed: HTTP ${response.status} ${response.statusText}`.trim(), context);
    }
    const hasher = new Bun.CryptoHasher(this.algorithm);
    let file: AtomicFile | undefined;
    try {
      file = new AtomicFile(target, { fsync: true });
      for await (const chunk of response.body) {
        hasher.update(chunk);
        file.write(chunk);
      }
      const got = hasher.digest("hex");
      if (got !== this.digest) {
        throw new DeploymentError("checksum mismatch", { ...context, expected: this.checksum, got: `${this.algorithm}:${got}` });
      }
      file.commit();
    } catch (error) {
      file?.abort();
      if (error instanceof DeploymentError) throw error;
      throw new DeploymentError(`download failed: ${(error as Error).message}`, context);
    }
  }
}

/** The options of {@link Download}: `checksum` is required. */
export type DownloadOptions = Pick<Download, "checksum"> & Partial<Pick<Download, "target" | "timeout" | "headers">>;
