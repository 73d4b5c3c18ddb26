/**
 * Effective SSH settings for a host alias, as OpenSSH would compute them from
 * an ssh_config file (first obtained value wins, `Host` patterns with `*`, `?`
 * and `!`, `Match` via the `ssh-config` package's `compute()`).
 *
 * The file is the project's `ssh_config_<environment>` or `ssh_config` when
 * the project root has one (as batou), else `~/.ssh/config`; a missing file means OpenSSH's defaults. Top-level
 * `Include` directives are expanded (glob, relative to `~/.ssh`). Options that
 * batou does not need (BatchMode, LogLevel, ControlMaster, ...) are ignored;
 * batou never prompts for passwords anyway.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir, hostname as localHostname, userInfo } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import SSHConfig, { type Line, LineType } from "ssh-config";
import { shellQuote } from "../commands.ts";
import { SshError } from "./ssh-error.ts";

/** One hop of a `ProxyJump` chain (`[user@]host[:port]` or `ssh://[user@]host[:port]`). */
export interface JumpSpec {
  host: string;
  user?: string;
  port?: number;
}

/** `StrictHostKeyChecking`; `ask` (OpenSSH's default) behaves like `yes`: batou never asks. */
export type StrictHostKeyChecking = "yes" | "no" | "accept-new" | "ask";

/** The effective settings for one alias: plain data, all tokens and `~` expanded. */
export interface SshSettings {
  /** The name that was looked up (e.g. `host1`). */
  alias: string;
  /** `HostName` (with `%h` expanded), else the alias. */
  hostName: string;
  user: string;
  port: number;
  /** Identity files to try, absolute; the defaults (`~/.ssh/id_*`) when none was configured. */
  identityFiles: string[];
  /** True when `identityFiles` came from the config, false for the built-in defaults. */
  identityFilesConfigured: boolean;
  identitiesOnly: boolean;
  /** The `ProxyJump` chain, first hop first; empty when none (or when ProxyCommand won). */
  proxyJump: JumpSpec[];
  /** `ProxyCommand` with `%h %p %r %n %%` expanded; null when none (or when ProxyJump won). */
  proxyCommand: string | null;
  hostKeyAlias: string | null;
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  strictHostKeyChecking: StrictHostKeyChecking;
  /** `ConnectTimeout` in seconds, null when not set. */
  connectTimeoutSeconds: number | null;
  /** The ssh_config file that was read; null when there was none. */
  configFile: string | null;
}

/** Options of {@link resolveSshSettings}. */
export interface ResolveOptions {
  /** An explicit ssh_config; overrides the project/user lookup. */
  configFile?: string;
  /** The project root: its `ssh_config_<environment>`, else its `ssh_config`, is used when present. */
  projectRoot?: string;
  /** The environment being deployed (for `ssh_config_<environment>`). */
  environment?: string;
  /** Overrides `os.homedir()` (tests). */
  home?: string;
}

const DEFAULT_IDENTITIES = ["id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk"];

/** Which ssh_config applies: explicit file, the project's ({@link projectSshConfig}), else `~/.ssh/config`. */
export function findSshConfigFile(options: ResolveOptions = {}): string {
  if (options.configFile) return resolve(options.configFile);
  const project = options.projectRoot ? projectSshConfig(options.projectRoot, options.environment) : undefined;
  return project ?? join(options.home ?? homedir(), ".ssh", "config");
}

/** The project's own ssh_config: `ssh_config_<environment>` in its root, else `ssh_config` (as batou); undefined when it has neither. */
export function projectSshConfig(projectRoot: string, environment?: string): string | undefined {
  for (const name of environment ? [`ssh_config_${environment}`, "ssh_config"] : ["ssh_config"]) {
    const path = join(projectRoot, name);
    if (existsSync(path)) return resolve(path);
  }
  return undefined;
}

const parsedCache = new Map<string, { text: string; config: SSHConfig }>();
/** The `Match exec` commands of each loaded config, by marker index. */
const matchExecCommands = new WeakMap<SSHConfig, string[]>();

/** Stand-ins for what ssh2 cannot evaluate (see {@link withoutSideEffects}). */
const MATCH_EXEC = "BatouMatchExec";
const CANONICALIZE = "BatouCanonicalizeHostname";

/**
 * The config with what would run something on this machine while computing it
 * defused: a `Match ... exec` keeps its other criteria and holds only a marker
 * (the command's index in `commands`), `CanonicalizeHostname` is renamed (the
 * library would look names up). ssh2 cannot do either, so a marker that
 * applies to the host is an error ({@link ssh2Unsupported}).
 */
function withoutSideEffects(config: SSHConfig, commands: string[]): SSHConfig {
  const walk = (lines: Line[]) => {
    for (const line of lines) {
      if (line.type !== LineType.DIRECTIVE) continue;
      if (/^canonicalizehostname$/i.test(line.param)) line.param = CANONICALIZE;
      if ("criteria" in line) {
        const key = Object.keys(line.criteria).find((k) => /^exec$/i.test(k));
        if (key) {
          const value = line.criteria[key];
          commands.push(Array.isArray(value) ? value.map((v) => v.val).join(" ") : String(value));
          delete line.criteria[key];
          line.config = SSHConfig.parse(`  ${MATCH_EXEC} ${commands.length - 1}\n`);
        }
      }
      if ("config" in line) walk(line.config);
    }
  };
  walk(config);
  return config;
}

/** Reads and parses an ssh_config (with top-level `Include`s); a missing file is an empty config. */
export function loadSshConfig(file: string, home = homedir()): SSHConfig {
  if (!existsSync(file)) return SSHConfig.parse("");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new SshError("ssh_config", "config", `cannot read ${file}: ${(error as Error).message}`, { context: { file } });
  }
  const cached = parsedCache.get(file);
  if (cached && cached.text === text) return cached.config;
  const config = SSHConfig.parse(text);
  expandIncludes(config, file, home, 0);
  const commands: string[] = [];
  withoutSideEffects(config, commands);
  matchExecCommands.set(config, commands);
  parsedCache.set(file, { text: text, config });
  return config;
}

function expandIncludes(config: SSHConfig | Line[], file: string, home: string, depth: number): void {
  if (depth > 16) throw new SshError("ssh_config", "config", `${file}: Include nested too deeply`);
  for (let i = 0; i < config.length; i++) {
    const line = config[i];
    if (line.type !== LineType.DIRECTIVE || !/^include$/i.test(line.param)) continue;
    const patterns = Array.isArray(line.value) ? line.value.map((v) => v.val) : line.value.split(/\s+/);
    const included: Line[] = [];
    for (const pattern of patterns) {
      let p = expandTilde(pattern, home);
      if (!isAbsolute(p)) p = join(home, ".ssh", p);
      const matches = /[*?[]/.test(p)
        ? [...new Bun.Glob(p.slice(p.lastIndexOf("/") + 1)).scanSync({ cwd: dirname(p), absolute: true })].sort()
        : existsSync(p) ? [p] : [];
      for (const m of matches) {
        const sub = SSHConfig.parse(readFileSync(m, "utf8"));
        expandIncludes(sub, m, home, depth + 1);
        included.push(...sub);
      }
    }
    config.splice(i, 1, ...included);
    i += included.length - 1;
  }
}

/** Replaces a leading `~` or `~/` with the home directory. */
export function expandTilde(path: string, home = homedir()): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return path;
}

/** Expands OpenSSH `%` tokens; an unknown token is a config error naming the file and alias. */
export function expandTokens(
  value: string,
  tokens: Record<string, string>,
  context: { alias: string; what: string; file: string | null },
): string {
  return value.replace(/%(.)/g, (_, t: string) => {
    if (t === "%") return "%";
    const v = tokens[t];
    if (v === undefined) {
      throw new SshError(
        context.alias,
        "config",
        `unknown token %${t} in ${context.what} "${value}" (${context.file ?? "defaults"})`,
      );
    }
    return v;
  });
}

function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : v.split(/\s+/)).filter((s) => s !== "");
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function yesNo(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  return /^(yes|true)$/i.test(v);
}

/**
 * Whether `name` may be used as a host name, by OpenSSH's rule for names given
 * on its command line (`valid_hostname`, OpenSSH 9.6): no leading `-`, no
 * whitespace or control characters, none of `'`"$\;&<>|(){}`. Such a name
 * reaching a ProxyCommand's `%h` would run commands on the deploying machine.
 */
export function validHostName(name: string): boolean {
  return name !== "" && !name.startsWith("-") && !/[\s\x00-\x1f\x7f'`"$\\;&<>|(){}]/.test(name);
}

/** What to do about what ssh2 cannot do (also for FIDO keys and host certificates). */
export const SSH2_HINT = 'set ssh_client = "openssh" for this host or the environment: the system\'s OpenSSH does this';

/**
 * The first setting of a host's computed config that only OpenSSH can honour
 * (never silently ignored: it would mean another identity, host or check).
 */
export function ssh2Unsupported(raw: Record<string, string | string[] | undefined>, matchExec: string[]): { option: string; value: string } | undefined {
  const value = (key: string) => {
    const v = first(raw[key]);
    return v === undefined || v.toLowerCase() === "none" ? undefined : v;
  };
  const marker = value(MATCH_EXEC.toLowerCase());
  if (marker !== undefined) return { option: "Match exec", value: matchExec[Number(marker)] ?? marker };
  if (value("certificatefile")) return { option: "CertificateFile", value: list(raw.certificatefile).join(", ") };
  if (/^(yes|true)$/i.test(value("gssapiauthentication") ?? "")) return { option: "GSSAPIAuthentication", value: "yes" };
  if (value("pkcs11provider")) return { option: "PKCS11Provider", value: value("pkcs11provider")! };
  if (/^(yes|always)$/i.test(value(CANONICALIZE.toLowerCase()) ?? "")) return { option: "CanonicalizeHostname", value: value(CANONICALIZE.toLowerCase())! };
  return undefined;
}

/** Parses `host1,user@host2:2222,ssh://h3` into jump specs. */
export function parseProxyJump(value: string, alias: string): JumpSpec[] {
  return value.split(",").map((raw) => {
    const s = raw.trim().replace(/^ssh:\/\//, "");
    const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s\[\]]+)(?::(\d+))?$/.exec(s);
    if (!m) throw new SshError(alias, "config", `invalid ProxyJump entry "${raw}"`);
    const spec: JumpSpec = { host: m[2].replace(/^\[|\]$/g, "") };
    if (m[1]) spec.user = m[1];
    if (m[3]) spec.port = Number(m[3]);
    return spec;
  });
}

/**
 * Computes the effective settings of `alias`.
 * Throws {@link SshError} (kind `config`) for unreadable files and invalid values.
 */
export function resolveSshSettings(alias: string, options: ResolveOptions = {}): SshSettings {
  if (!validHostName(alias)) {
    throw new SshError(alias, "config", `invalid host name ${JSON.stringify(alias)}: a host name must not start with "-" nor contain whitespace, control characters or any of ' \` " $ \\ ; & < > | ( ) { } (as OpenSSH requires)`);
  }
  const home = options.home ?? homedir();
  const file = findSshConfigFile(options);
  const config = loadSshConfig(file, home);
  const configFile = existsSync(file) ? file : null;
  const raw = config.compute(alias, { ignoreCase: true, matchExec: false }) as Record<string, string | string[] | undefined>;
  const ctx = (what: string) => ({ alias, what, file: configFile });
  const unsupported = ssh2Unsupported(raw, matchExecCommands.get(config) ?? []);
  if (unsupported) {
    throw new SshError(alias, "config", `ssh_config asks for ${unsupported.option}, which the built-in SSH client (ssh2) cannot do`, {
      context: { file: configFile ?? undefined, [unsupported.option]: unsupported.value, hint: SSH2_HINT },
    });
  }
  const localUser = userInfo().username;

  const hostName = expandTokens(first(raw.hostname) ?? alias, { h: alias }, ctx("HostName"));
  const user = first(raw.user) ?? localUser;
  const portText = first(raw.port) ?? "22";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new SshError(alias, "config", `invalid Port "${portText}" in ${configFile}`);
  }
  const hostKeyAlias = first(raw.hostkeyalias) ?? null;
  const pathTokens: Record<string, string> = {
    d: home, u: localUser, l: localHostname().split(".")[0], L: localHostname(),
    h: hostName, n: alias, p: String(port), r: user, i: String(process.getuid?.() ?? 0),
    k: hostKeyAlias ?? hostName,
  };
  const path = (p: string, what: string) => expandTilde(expandTokens(p, pathTokens, ctx(what)), home);

  const configured = list(raw.identityfile);
  const identityFiles = configured.length
    ? configured.filter((f) => f.toLowerCase() !== "none").map((f) => path(f, "IdentityFile"))
    : DEFAULT_IDENTITIES.map((n) => join(home, ".ssh", n));

  // ProxyJump and ProxyCommand compete: whichever the config gives first wins.
  const keys = Object.keys(raw);
  const jumpFirst = keys.indexOf("proxyjump") !== -1 &&
    (keys.indexOf("proxycommand") === -1 || keys.indexOf("proxyjump") < keys.indexOf("proxycommand"));
  const jumpText = first(raw.proxyjump);
  const commandText = first(raw.proxycommand);
  const proxyJump = jumpFirst && jumpText && jumpText.toLowerCase() !== "none" ? parseProxyJump(jumpText, alias) : [];
  // the expansions are quoted for the shell the ProxyCommand runs in (plain names stay as they are)
  const proxyCommand = !jumpFirst && commandText && commandText.toLowerCase() !== "none"
    ? expandTokens(commandText, { h: shellQuote(hostName), p: String(port), r: shellQuote(user), n: shellQuote(alias) }, ctx("ProxyCommand"))
    : null;

  const knownFiles = (v: string | string[] | undefined, dflt: string[], what: string) => {
    const l = list(v);
    if (l.length === 1 && l[0].toLowerCase() === "none") return [];
    return (l.length ? l : dflt).map((f) => path(f, what));
  };
  const strictText = (first(raw.stricthostkeychecking) ?? "ask").toLowerCase();
  const strict: StrictHostKeyChecking =
    strictText === "no" || strictText === "off" ? "no"
    : strictText === "accept-new" ? "accept-new"
    : strictText === "yes" || strictText === "true" ? "yes"
    : "ask";
  const timeoutText = first(raw.connecttimeout);
  const connectTimeoutSeconds = timeoutText === undefined || timeoutText.toLowerCase() === "none"
    ? null
    : Number(timeoutText);
  if (connectTimeoutSeconds !== null && !(connectTimeoutSeconds > 0)) {
    throw new SshError(alias, "config", `invalid ConnectTimeout "${timeoutText}" in ${configFile}`);
  }

  return {
    alias,
    hostName,
    user,
    port,
    identityFiles,
    identityFilesConfigured: configured.length > 0,
    identitiesOnly: yesNo(first(raw.identitiesonly), false),
    proxyJump,
    proxyCommand,
    hostKeyAlias,
    userKnownHostsFiles: knownFiles(raw.userknownhostsfile, ["~/.ssh/known_hosts", "~/.ssh/known_hosts2"], "UserKnownHostsFile"),
    globalKnownHostsFiles: knownFiles(raw.globalknownhostsfile, ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"], "GlobalKnownHostsFile"),
    strictHostKeyChecking: strict,
    connectTimeoutSeconds,
    configFile,
  };
}
