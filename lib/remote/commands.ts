/**
 * Every shell text and argv batou sends to a host or runs for rsync, as pure
 * functions of plain values (no I/O): the launch script and its probe answer,
 * the agent command, the stream receiver for a fresh executable, the hash
 * check of a shipped executable, the rsync argv, and the one way to run
 * something as the service user. Tested by string equality and by running
 * them in a real `sh` (commands.test.ts).
 *
 * ```ts
 * const script = asUser("service", sh(launchScript("deployment", "batou-0.1.0", { sha256, size })));
 * // → "sudo -n -H -u service sh -c '...'": the agent's hello, or a probe ("batou-probe\nmachine=x86_64\n...")
 * ```
 *
 * @module
 */
import { HISTORY_FILE } from "../engine/history.ts";

/** Exit status of a remote script when the target directory cannot be created or entered. */
export const EXIT_TARGET_UNUSABLE = 97;

/** First line of a probe answer (never valid JSON, so never mistaken for the agent's hello). */
export const PROBE_MARKER = "batou-probe";

/** The lock file in the target directory, held by the agent. */
export const REMOTE_LOCK_NAME = ".batou-lock";

/** The folder in the target directory that holds the shipped executable. */
export const EXECUTABLE_DIR = ".batou";

/**
 * What rsync never ships. Anchored (leading `/`) except `*.nacl`: encrypted
 * secrets never leave the deploying machine, wherever they are in the tree.
 * `/.vagrant` is Vagrant's state, with its machines' private SSH keys.
 */
export const DEFAULT_EXCLUDES = ["/.git", "/node_modules", "/work", "/dist", `/${REMOTE_LOCK_NAME}`, "/.vagrant", "*.nacl"];

/**
 * What the project rsync leaves out: the defaults, the host's executable
 * folder and the secrets edit lock (`environments/ENV/.secrets.lock`).
 * Excluded paths are also kept on the host (no `--delete-excluded`).
 */
export const PROJECT_EXCLUDES = [...new Set([...DEFAULT_EXCLUDES, `/${EXECUTABLE_DIR}`, ".secrets.lock"])];

/** Quotes one word for a POSIX shell (and for rsync's `--rsh` splitting); plain words stay as they are. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A script as one command for any login shell: `sh -c '<script>'`. */
export function sh(script: string): string {
  return `sh -c ${shellQuote(script)}`;
}

/**
 * `command` run as `user` through sudo (never prompting, with the user's
 * $HOME), or as it is when there is no other user. `command` must be a
 * simple command; wrap scripts with {@link sh} first.
 */
export function asUser(user: string | undefined, command: string): string {
  return user ? `sudo -n -H -u ${shellQuote(user)} ${command}` : command;
}

/** Resolves `targetDir` (relative to $HOME, or `~/…`, or absolute) into `$T`. */
function resolveTarget(targetDir: string): string[] {
  return [`T=${shellQuote(targetDir)}`, 'case "$T" in /*) ;; "~"/*) T="$HOME/${T#"~/"}" ;; *) T="$HOME/$T" ;; esac'];
}

/** Resolves `targetDir` into `$T` (see {@link resolveTarget}) and enters it, creating it first. */
function enterTarget(targetDir: string): string[] {
  return [...resolveTarget(targetDir), `mkdir -p "$T/${EXECUTABLE_DIR}" && cd "$T" || exit ${EXIT_TARGET_UNUSABLE}`];
}

/** Prints the target directory's deployment history, nothing when there is none (and creates nothing). */
export function historyReader(targetDir: string): string {
  return [...resolveTarget(targetDir), `if [ -f "$T/${HISTORY_FILE}" ]; then cat "$T/${HISTORY_FILE}"; fi`].join("\n");
}

/** The sha256 and size the deploying side expects of the shipped executable. */
export interface ExpectedExecutable {
  sha256: string;
  size: number;
}

/**
 * Set where the agent starts (Bun reads `BUN_JSC_*` as JSC options, also in a compiled executable):
 *
 * - without JSC's top-tier (FTL) JIT. Its compiles of a big model's hot configure and template
 *   code take 30–40 MB for a moment (10,000 templated files: in one process ~140 → ~100 MiB; the
 *   agent on a test host 166 → 130 MiB), and the agent's short run gains nothing by them.
 * - with the baseline and DFG JITs starting later (JSC's execution counters: 10,000 instead of
 *   500, 50,000 instead of 1,000; a call counts 15, a loop iteration 1). A no-op of 100 files
 *   runs each function a few hundred times at most: JIT-compiling it costs more CPU than
 *   interpreting it (the agent's CPU there ~85 → ~60 ms); code that runs for thousands of
 *   files still gets compiled (10,000 files: the same CPU and peak memory).
 * - with the heap sized as for a machine of 50 MB RAM (`forceRAMSize`): JSC lets a heap above a
 *   quarter of RAM grow by only 1.24x (not 2x) before it collects, so a big model's garbage is
 *   collected sooner (10,000 templated files: the agent's peak 112–118 → 94–97 MiB, its no-op
 *   ~0.3 s more CPU; 100 files: no change in peak or CPU). It only sizes the heap, never limits it.
 */
export const AGENT_ENVIRONMENT =
  "BUN_JSC_useFTLJIT=0 BUN_JSC_thresholdForJITAfterWarmUp=10000 BUN_JSC_thresholdForOptimizeAfterWarmUp=50000 BUN_JSC_forceRAMSize=50000000";

/**
 * The agent's opening: its first protocol lines from the deploying machine
 * (hello, lock, manifest) as one argument of its command, so it answers them
 * as it starts, a round trip before sshd lets anything through its stdin
 * (a session's input opens only once its command runs). They hold nothing
 * secret (batou version, who deploys from where, the environment's name, the
 * excludes, the project's fingerprint: docs/security.md), as every host user
 * sees a command line (`ps`); the setup (secrets) stays on stdin. base64url
 * (`A-Z a-z 0-9 _ -`): nothing a shell splits or expands. Undefined when the
 * encoded text would be longer than {@link OPENING_LIMIT}: then it goes on stdin.
 */
export function agentOpening(lines: string): string | undefined {
  const encoded = Buffer.from(lines, "utf8").toString("base64url");
  return encoded.length <= OPENING_LIMIT ? encoded : undefined;
}

/** The longest opening batou puts in a command line (bytes, encoded). */
export const OPENING_LIMIT = 4096;

const OPENING = /^[A-Za-z0-9_-]+$/;

/** The agent's side of {@link agentOpening}: the protocol text, or an error naming what is wrong. */
export function readAgentOpening(encoded: string): string {
  if (!OPENING.test(encoded) || encoded.length > OPENING_LIMIT) throw new Error(`the agent's --opening is not base64url of at most ${OPENING_LIMIT} characters`);
  return Buffer.from(encoded, "base64url").toString("utf8");
}

/** `exec`s the agent with its opening (checked: only base64url reaches the shell). */
function execAgent(file: string, opening?: string): string {
  if (opening !== undefined) readAgentOpening(opening);
  return `${AGENT_ENVIRONMENT} exec ${file} agent${opening === undefined ? "" : ` --opening ${opening}`}`;
}

/**
 * The launch script: enter (create) the target directory, then exec
 * `.batou/EXE agent` when it is `expected` (the sha256 in its sidecar
 * matches, and the file's size and mtime match the sidecar); otherwise print
 * a probe (see {@link Probe}) and exit 0. Without `expected` it always probes;
 * with `hash`, the probe also has the executable's real sha256 (reading it
 * all: only after it failed to start).
 */
export function launchScript(targetDir: string, exe: string, expected?: ExpectedExecutable, options: { hash?: boolean; opening?: string } = {}): string {
  const file = `${EXECUTABLE_DIR}/${exe}`;
  const lines = enterTarget(targetDir);
  if (expected) {
    lines.push(
      `set -- $(cat ${file}.sha256 2>/dev/null)`,
      `if [ "$1" = ${expected.sha256} ] && [ "$2" = ${expected.size} ] && [ "$2 $3" = "$(stat -c '%s %Y' ${file} 2>/dev/null)" ]; then ${execAgent(file, options.opening)}; fi`,
    );
  }
  lines.push(
    `echo ${PROBE_MARKER}`,
    'echo "machine=$(uname -m)"',
    'echo "target=$(pwd -P)"',
    `echo "sidecar=$(cat ${file}.sha256 2>/dev/null)"`,
    `echo "stat=$(stat -c '%s %Y' ${file} 2>/dev/null)"`,
    `echo "entries=$(ls -A ${EXECUTABLE_DIR} | wc -l)"`,
    'echo "zstd=$(command -v zstd >/dev/null && echo yes || echo no)"',
  );
  if (options.hash) lines.push(`echo "sha256=$(sha256sum ${file} 2>/dev/null | cut -d' ' -f1)"`);
  return lines.join("\n");
}

/**
 * Drops `file` (a path the caller quoted) from the host's page cache, written to disk first (only
 * clean pages can be dropped); its next start reads what it runs from disk. Why: a file just
 * written sits in the page cache in large folios (up to 2 MB), and Linux maps a whole folio into
 * a process on its first touch, so the agent started from a freshly shipped executable had 12–19
 * MB more of it resident (RssFile 54 instead of 35 MiB, counted in its VmHWM) than one started
 * from pages read in on demand. Best effort: without coreutils' `sync FILE` or `dd iflag=nocache`
 * nothing is dropped, and the agent starts all the same.
 */
export function dropFromPageCache(file: string): string {
  return `{ sync ${file} && dd if=${file} iflag=nocache count=0 status=none; } 2>/dev/null`;
}

/**
 * The agent in the (resolved, absolute) target directory, after shipping (its fresh pages
 * dropped first, see {@link dropFromPageCache}), with its {@link agentOpening}.
 */
export function agentCommand(target: string, exe: string, opening?: string): string {
  const file = `${EXECUTABLE_DIR}/${exe}`;
  return `cd ${shellQuote(target)} && ${dropFromPageCache(file)}; ${execAgent(file, opening)}`;
}

/** What the host said instead of starting the agent. */
export interface Probe {
  /** `uname -m`. */
  machine: string;
  /** The absolute, physical target directory. */
  target: string;
  /** Contents of `.batou/EXE.sha256` (`SHA SIZE MTIME`), empty when missing. */
  sidecar: string;
  /** `stat -c '%s %Y'` of the executable, empty when missing. */
  stat: string;
  /** Whether `.batou/` holds nothing at all (no other version to send a delta against). */
  empty: boolean;
  /** Whether the host has the `zstd` command (then a fresh executable travels compressed). */
  zstd: boolean;
  /** The executable's real sha256 when the probe was asked to hash it (empty when it is missing). */
  sha256?: string;
}

/** Parses a probe answer (`key=value` lines after the marker); undefined when `stdout` is not one. */
export function parseProbe(stdout: string): Probe | undefined {
  const [marker, ...lines] = stdout.split("\n");
  if (marker !== PROBE_MARKER) return undefined;
  const values = new Map<string, string>();
  for (const line of lines) {
    const eq = line.indexOf("=");
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  if (!values.has("machine") || !values.has("target")) return undefined;
  const get = (key: string) => values.get(key)?.trim() ?? "";
  return {
    machine: get("machine"),
    target: values.get("target")!,
    sidecar: get("sidecar"),
    stat: get("stat"),
    empty: get("entries") === "0",
    zstd: get("zstd") === "yes",
    ...(values.has("sha256") ? { sha256: get("sha256") } : {}),
  };
}

/** What unpacks a streamed executable on the host: `zstd -dcq` for a compressed stream, else `cat`. */
export function streamUnpacker(compressed: boolean): string {
  return compressed ? "zstd -dcq" : "cat";
}

/**
 * How a `ProxyCommand` runs on the deploying machine, as OpenSSH runs it: `/bin/sh -c
 * "exec COMMAND"` (the shell is replaced, so ending the child ends the proxy).
 */
export function proxyCommandArgv(command: string): [string, string[]] {
  return ["/bin/sh", ["-c", `exec ${command}`]];
}

/**
 * The receiving end of a streamed executable: stdin (through `decompress`,
 * see {@link streamUnpacker}) into a part file unique to this shell, size checked, made
 * executable, renamed to `dir/name`, and `SHA SIZE MTIME` recorded beside it
 * (the sidecar the next launch compares). The part file is removed on any
 * failure or signal, so a full disk or a second deploy leaves nothing behind.
 */
export function streamReceiver(dir: string, name: string, size: number, sha256: string, decompress = "cat"): string {
  return [
    `cd ${shellQuote(dir)} || exit ${EXIT_TARGET_UNUSABLE}`,
    `p=${shellQuote(`.${name}.part.`)}$$`,
    `trap 'rm -f "$p"' EXIT`,
    "trap 'exit 143' TERM HUP INT PIPE",
    [
      `${decompress} > "$p"`,
      `[ "$(stat -c %s "$p")" = ${size} ]`,
      `chmod 755 "$p"`,
      `mv -f "$p" ${shellQuote(name)}`,
      `echo "${sha256} $(stat -c '%s %Y' ${shellQuote(name)})" > "$p"`,
      `mv -f "$p" ${shellQuote(`${name}.sha256`)}`,
    ].join(" && "),
  ].join("\n");
}

/**
 * A name that may reach the argv of a local program batou runs for a host
 * (`{host}` in `exec`, the machine of `vagrant ssh-config`): letters, digits,
 * `.`, `_` and `-`, never a leading `-` (it would be read as an option). That
 * is what container engines, Kubernetes, incus and Vagrant accept as names.
 */
export function validTargetName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) && name.length <= 253;
}

/** The one placeholder of `exec`: the host's name (the environment schema refuses any other). */
export const EXEC_HOST_PLACEHOLDER = "{host}";

/**
 * The exec command for `host` (`connect_method = "exec"`): `template` with
 * every `{host}` replaced, as argv (no shell ever reads it). The caller has
 * checked the name with {@link validTargetName}.
 */
export function execArgv(template: readonly string[], host: string): string[] {
  return template.map((word) => word.replaceAll(EXEC_HOST_PLACEHOLDER, host));
}

/** What runs `command` (shell text, as an SSH login shell would get it) through the exec command: `ARGV... sh -c COMMAND`. */
export function execCommandArgv(argv: readonly string[], command: string): string[] {
  return [...argv, "sh", "-c", command];
}

/** The first command through an exec command: who it runs as, and whether the host has rsync. */
export const EXEC_PROBE = 'id -un && if command -v rsync >/dev/null; then echo rsync=yes; else echo rsync=no; fi';

/** Parses the answer to {@link EXEC_PROBE}; undefined when it is not one. */
export function parseExecProbe(stdout: string): { user: string; rsync: boolean } | undefined {
  const m = /^([^\s]+)\nrsync=(yes|no)\n?$/.exec(stdout);
  return m ? { user: m[1]!, rsync: m[2] === "yes" } : undefined;
}

/** `vagrant ssh-config MACHINE`: the SSH settings Vagrant has for a running machine (the name checked with {@link validTargetName}). */
export function vagrantSshConfigArgv(machine: string, vagrant = "vagrant"): string[] {
  return [vagrant, "ssh-config", machine];
}

/**
 * The local `tar` that packs a tree for a host without rsync: the entries
 * named on stdin (NUL-separated, relative to `localDir`, parents before
 * children, each given once), POSIX format (nanosecond mtimes, so the
 * project's fingerprint matches after unpacking with GNU tar).
 */
export function treeArchiveArgv(localDir: string, tar = "tar"): string[] {
  return [tar, "--create", "--file=-", "--format=posix", "--numeric-owner", `--directory=${localDir}`, "--no-recursion", "--null", "--verbatim-files-from", "--files-from=-"];
}

/** `case` patterns for the top-level names that `excludes` keep on the host (rsync: excluded paths are never deleted). */
function keptPatterns(excludes: readonly string[]): string[] {
  return excludes.map((pattern) => {
    const name = pattern.startsWith("/") ? pattern.slice(1) : pattern;
    if (name === "" || name.includes("/")) throw new Error(`tree receiver: unsupported exclude pattern "${pattern}"`);
    if (!/[*?[]/.test(name)) return shellQuote(name);
    if (!/^[A-Za-z0-9_.*?-]+$/.test(name)) throw new Error(`tree receiver: unsupported exclude pattern "${pattern}"`);
    return name; // a glob (`*.nacl`): unquoted, so case matches it as one
  });
}

/**
 * The receiving end of a tree streamed as a tar archive (a host without
 * rsync): `dir` is created, the archive is unpacked into a staging folder in
 * it with the archive's modes (umask 0, as rsync's `--perms`) and without
 * its owners; only when that succeeded, everything at the top of `dir`
 * except what `excludes` keep (and other staging folders' leftovers go
 * too) is replaced by the staged entries. So a broken stream changes
 * nothing, and files removed locally disappear, as with rsync's `--delete`.
 * Excluded names deeper in the tree are not kept (rsync would keep them).
 */
export function treeReceiver(dir: string, excludes: readonly string[]): string {
  const kept = ['"$n"', ...keptPatterns(excludes)].join("|");
  const each = (glob: string, action: string) =>
    `for f in ${glob}; do if [ -e "$f" ] || [ -L "$f" ]; then ${action} || exit 1; fi; done`;
  return [
    `D=${remotePathWord(dir)}`,
    `mkdir -p -- "$D" && cd -- "$D" || exit ${EXIT_TARGET_UNUSABLE}`,
    "n=.batou-incoming.$$",
    `trap 'rm -rf "$n"' EXIT`,
    "trap 'exit 143' TERM HUP INT PIPE",
    `mkdir "$n" && (umask 0 && exec tar -x -o -f - -C "$n") || exit 1`,
    each("* .[!.]* ..?*", `case "$f" in ${kept}) continue ;; esac; rm -rf -- "$f"`),
    each('"$n"/* "$n"/.[!.]* "$n"/..?*', 'mv -- "$f" .'),
  ].join("\n");
}

/** Quotes a remote path for the remote shell, keeping a leading `~/` expandable. */
function remotePathWord(path: string): string {
  return path.startsWith("~/") ? `~/${shellQuote(path.slice(2))}` : shellQuote(path);
}

/** What {@link rsyncArgv} turns into an rsync command line. */
export interface RsyncSpec {
  localDir: string;
  remoteDir: string;
  /** rsync's remote shell (`--rsh`), as argv: the transport's. */
  rsh: string[];
  excludes?: string[];
  /** Run the remote rsync (and the `mkdir`) as this user through sudo. */
  sudoUser?: string;
  /** The remote rsync command (default: `rsync`, as `sudoUser` when set, after a `mkdir -p` of the destination). */
  rsyncPath?: string;
  /** Compress (`-z`): worth it on slow links, costs CPU. */
  compress?: boolean;
  /**
   * Compare modification times to the nanosecond (`--modify-window=-1`, rsync
   * >= 3.1.3 on both sides). Default true: with whole seconds, a file rewritten
   * with the same size within the second of the last shipment is silently skipped.
   */
  exactTimes?: boolean;
  /** Compare file contents (`--checksum`) instead of size and time. */
  checksum?: boolean;
  /** Extra rsync arguments (e.g. `--fuzzy`). */
  extraArgs?: string[];
  /** Report overall progress on stdout (`--info=progress2`). */
  progress?: boolean;
  /** The local rsync binary (default `rsync` on PATH). */
  rsyncBinary?: string;
}

/** The remote command rsync starts (`--rsync-path`): create the destination, then rsync, as the service user when set. */
export function rsyncRemotePath(spec: Pick<RsyncSpec, "remoteDir" | "sudoUser" | "rsyncPath">): string {
  if (spec.rsyncPath) return spec.rsyncPath;
  const dest = spec.remoteDir.endsWith("/") ? spec.remoteDir : `${spec.remoteDir}/`;
  return `${asUser(spec.sudoUser, `mkdir -p -- ${remotePathWord(dest)}`)} && exec ${asUser(spec.sudoUser, "rsync")}`;
}

/**
 * The rsync command line: delta transfer with `--delete` (excluded paths are
 * kept on the host), `--stats` for the figures, to `batou-remote:DIR/` (the
 * host name is the transport's business, not rsync's).
 */
export function rsyncArgv(spec: RsyncSpec): string[] {
  const dest = spec.remoteDir.endsWith("/") ? spec.remoteDir : `${spec.remoteDir}/`;
  return [
    spec.rsyncBinary ?? "rsync", "--recursive", "--links", "--perms", "--times", "--delete", "--stats",
    ...(spec.compress ? ["--compress"] : []),
    ...(spec.exactTimes === false ? [] : ["--modify-window=-1"]),
    ...(spec.checksum ? ["--checksum"] : []),
    ...(spec.progress ? ["--info=progress2"] : []),
    ...(spec.excludes ?? DEFAULT_EXCLUDES).map((e) => `--exclude=${e}`),
    `--rsh=${spec.rsh.map(shellQuote).join(" ")}`,
    `--rsync-path=${rsyncRemotePath(spec)}`,
    ...(spec.extraArgs ?? []),
    spec.localDir.endsWith("/") ? spec.localDir : `${spec.localDir}/`,
    `batou-remote:${dest}`,
  ];
}

/** What the OpenSSH transport's `ssh` command lines are built from. */
export interface OpenSshSpec {
  /** The ssh_config (`-F`); none: OpenSSH's own lookup (`~/.ssh/config`, `/etc/ssh/ssh_config`). */
  configFile?: string;
  /** The run's ControlPath: a socket in a private (0700) folder. */
  controlPath: string;
  /** The `ssh` program (default: `ssh` on PATH). */
  ssh?: string;
}

/**
 * The remote command of the master's own session: it echoes batou's
 * keepalives and ends when batou's end of its stdin closes (even when batou
 * is killed).
 */
export const OPENSSH_MASTER_SESSION = "exec cat";

/**
 * Seconds between batou's keepalives through the master's session and how
 * many may go unanswered (as ssh2's: a lost host is noticed within ~5 s).
 * Not OpenSSH's ServerAliveInterval: that also bounds every packet of the
 * handshake (to interval x count), which a loaded host behind a long round
 * trip sometimes exceeds, and OpenSSH reports that at LogLevel INFO only.
 */
export const OPENSSH_KEEPALIVE = { interval: 1, count: 4 };

/**
 * Options of every batou `ssh`: never a prompt (BatchMode), no TTY, none of
 * the config's forwardings or RemoteCommand (they would compete with batou's
 * commands); everything else (host keys, identities, agents, certificates,
 * ProxyJump, Match) is the user's OpenSSH configuration.
 */
function opensshCommon(spec: OpenSshSpec): string[] {
  return [
    spec.ssh ?? "ssh",
    ...(spec.configFile ? ["-F", spec.configFile] : []),
    "-S", spec.controlPath,
    "-o", "BatchMode=yes",
    "-o", "RequestTTY=no",
    "-o", "RemoteCommand=none",
    "-o", "ClearAllForwardings=yes",
  ];
}

/**
 * The master: authenticates once, listens on the ControlPath for this run
 * only (no ControlPersist) and keeps its own session (see
 * {@link OPENSSH_MASTER_SESSION}); the handshake is bounded by the user's
 * ConnectTimeout and batou's `timeout`, never by OpenSSH's keepalives.
 */
export function opensshMasterArgv(spec: OpenSshSpec, alias: string): string[] {
  return [
    ...opensshCommon(spec),
    "-o", "ControlMaster=yes",
    "-o", "ControlPersist=no",
    "--", alias, OPENSSH_MASTER_SESSION,
  ];
}

/**
 * A client of the master (rsync's `--rsh`: rsync appends a host and the
 * command). It never connects by itself: without the master, its
 * ProxyCommand `false` fails at once instead of a second login.
 */
export function opensshClientArgv(spec: OpenSshSpec): string[] {
  return [...opensshCommon(spec), "-o", "ControlMaster=no", "-o", "ProxyCommand=false"];
}

/** `command` (shell text for the login shell) run on `alias` through the master. */
export function opensshCommandArgv(spec: OpenSshSpec, alias: string, command: string): string[] {
  return [...opensshClientArgv(spec), "--", alias, command];
}

/** `ssh -G`: the effective configuration of `alias` (user, hostname, port), printed without connecting. */
export function opensshConfigArgv(spec: Omit<OpenSshSpec, "controlPath">, alias: string): string[] {
  return [spec.ssh ?? "ssh", ...(spec.configFile ? ["-F", spec.configFile] : []), "-G", "--", alias];
}
