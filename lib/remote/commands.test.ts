/**
 * The remote commands as values: exact text for the simple ones, and the
 * scripts run by a real `sh` in a temporary $HOME (launch, probe, stream receiver).
 */
import { afterEach, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AGENT_ENVIRONMENT,
  agentCommand,
  agentOpening,
  dropFromPageCache,
  OPENING_LIMIT,
  readAgentOpening,
  asUser,
  DEFAULT_EXCLUDES,
  EXIT_TARGET_UNUSABLE,
  historyReader,
  launchScript,
  opensshClientArgv,
  opensshCommandArgv,
  opensshConfigArgv,
  opensshMasterArgv,
  PROBE_MARKER,
  PROJECT_EXCLUDES,
  parseProbe,
  proxyCommandArgv,
  rsyncArgv,
  sh,
  shellQuote,
  streamReceiver,
  streamUnpacker,
} from "./commands.ts";

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), "batou-commands-"));
  homes.push(home);
  return home;
}

function run(script: string, home: string, stdin?: string): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync("sh", ["-c", script], { env: { PATH: process.env.PATH, HOME: home }, encoding: "utf8", input: stdin, cwd: home });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

/** A stand-in executable that says hello when run as `agent`, with its sidecar. */
function fakeExecutable(home: string, target: string, name: string): { sha256: string; size: number } {
  const dir = join(home, target, ".batou");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n[ "$1" = agent ] && echo '{"type":"hello","cwd":"'"$(pwd -P)"'","ftl":"'"$BUN_JSC_useFTLJIT"'","jit":"'"$BUN_JSC_thresholdForJITAfterWarmUp"'","dfg":"'"$BUN_JSC_thresholdForOptimizeAfterWarmUp"'","ram":"'"$BUN_JSC_forceRAMSize"'","args":"'"$*"'"}'\n`);
  chmodSync(file, 0o755);
  const st = statSync(file);
  const sha256 = "ab".repeat(32);
  writeFileSync(`${file}.sha256`, `${sha256} ${st.size} ${Math.floor(st.mtimeMs / 1000)}\n`);
  return { sha256, size: st.size };
}

test("shellQuote leaves plain words alone and quotes the rest", () => {
  expect(shellQuote("/usr/bin/bun")).toBe("/usr/bin/bun");
  expect(shellQuote("a b")).toBe("'a b'");
  expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  expect(shellQuote("*.nacl")).toBe("'*.nacl'");
  expect(shellQuote("$(touch x)")).toBe("'$(touch x)'");
});

test("one spelling of sudo: as the service user with its $HOME, never prompting; nothing without one", () => {
  expect(asUser("service", "rsync")).toBe("sudo -n -H -u service rsync");
  expect(asUser("we ird", sh("echo a; echo b"))).toBe(`sudo -n -H -u 'we ird' sh -c 'echo a; echo b'`);
  expect(asUser(undefined, "rsync")).toBe("rsync");
  expect(sh("it's")).toBe(`sh -c 'it'\\''s'`);
});

test("the agent command and the excludes", () => {
  expect(agentCommand("/home/u/deploy ment", "batou-1.0.0")).toBe(
    "cd '/home/u/deploy ment' && { sync .batou/batou-1.0.0 && dd if=.batou/batou-1.0.0 iflag=nocache count=0 status=none; } 2>/dev/null; BUN_JSC_useFTLJIT=0 BUN_JSC_thresholdForJITAfterWarmUp=10000 BUN_JSC_thresholdForOptimizeAfterWarmUp=50000 BUN_JSC_forceRAMSize=50000000 exec .batou/batou-1.0.0 agent",
  );
  expect(DEFAULT_EXCLUDES).toEqual(["/.git", "/node_modules", "/work", "/dist", "/.batou-lock", "/.vagrant", "*.nacl"]);
  expect(PROJECT_EXCLUDES).toEqual([...DEFAULT_EXCLUDES, "/.batou", ".secrets.lock"]);
});

test("the rsync argv: delta with delete, exact times, anchored excludes, the transport's shell, mkdir then rsync as the service user", () => {
  expect(
    rsyncArgv({ localDir: "/p", remoteDir: "/home/s/app", rsh: ["/bin/bun", "/x/rsh-bridge.ts", "/tmp/batou-rsh-1/s"], excludes: ["/work", "*.nacl"], sudoUser: "s", extraArgs: ["--fuzzy"] }),
  ).toEqual([
    "rsync", "--recursive", "--links", "--perms", "--times", "--delete", "--stats", "--modify-window=-1",
    "--exclude=/work", "--exclude=*.nacl",
    "--rsh=/bin/bun /x/rsh-bridge.ts /tmp/batou-rsh-1/s",
    "--rsync-path=sudo -n -H -u s mkdir -p -- /home/s/app/ && exec sudo -n -H -u s rsync",
    "--fuzzy", "/p/", "batou-remote:/home/s/app/",
  ]);
  const plain = rsyncArgv({ localDir: "/p/", remoteDir: "~/my app/", rsh: ["bridge"], excludes: [], exactTimes: false, checksum: true, compress: true });
  expect(plain).toEqual([
    "rsync", "--recursive", "--links", "--perms", "--times", "--delete", "--stats", "--compress", "--checksum",
    "--rsh=bridge", "--rsync-path=mkdir -p -- ~/'my app/' && exec rsync", "/p/", "batou-remote:~/my app/",
  ]);
});

test("the launch script probes in key=value lines; the probe parser reads them", () => {
  expect(launchScript("app", "batou-1.0.0")).toBe(
    [
      "T=app",
      'case "$T" in /*) ;; "~"/*) T="$HOME/${T#"~/"}" ;; *) T="$HOME/$T" ;; esac',
      'mkdir -p "$T/.batou" && cd "$T" || exit 97',
      "echo batou-probe",
      'echo "machine=$(uname -m)"',
      'echo "target=$(pwd -P)"',
      'echo "sidecar=$(cat .batou/batou-1.0.0.sha256 2>/dev/null)"',
      `echo "stat=$(stat -c '%s %Y' .batou/batou-1.0.0 2>/dev/null)"`,
      'echo "entries=$(ls -A .batou | wc -l)"',
      'echo "zstd=$(command -v zstd >/dev/null && echo yes || echo no)"',
    ].join("\n"),
  );
  expect(parseProbe("batou-probe\nmachine=aarch64\ntarget=/srv/a=b\nsidecar=\nstat=\nentries= 3\nzstd=no\nlater=ignored\n")).toEqual({
    machine: "aarch64", target: "/srv/a=b", sidecar: "", stat: "", empty: false, zstd: false,
  });
  expect(parseProbe('{"type":"hello"}\n')).toBeUndefined();
  expect(parseProbe("batou-probe\nx86_64\n/home/u\n")).toBeUndefined(); // the old positional form is not guessed at
});

test("an empty host answers with a probe: machine, physical target, nothing shipped, .batou empty", () => {
  const home = tempHome();
  const result = run(launchScript("deploy ment", "batou-1.0.0", { sha256: "00".repeat(32), size: 10 }), home);
  expect(result.status).toBe(0);
  const probe = parseProbe(result.stdout)!;
  expect(probe.machine).toBe(spawnSync("uname", ["-m"], { encoding: "utf8" }).stdout.trim());
  expect(probe.target).toBe(join(home, "deploy ment"));
  expect(probe).toMatchObject({ sidecar: "", stat: "", empty: true, zstd: Bun.which("zstd", { PATH: process.env.PATH }) !== null });
  expect(probe.sha256).toBeUndefined();
});

test("the expected executable is exec'd as the agent in the target directory, without the FTL JIT, with the later JIT thresholds, its heap sized for 50 MB RAM", () => {
  const home = tempHome();
  const expected = fakeExecutable(home, "app", "batou-1.0.0");
  const result = run(launchScript("~/app", "batou-1.0.0", expected), home);
  expect(result.status).toBe(0);
  expect(JSON.parse(result.stdout)).toEqual({ type: "hello", cwd: join(home, "app"), ftl: "0", jit: "10000", dfg: "50000", ram: "50000000", args: "agent" });
  expect(JSON.parse(run(agentCommand(join(home, "app"), "batou-1.0.0"), home).stdout)).toEqual({ type: "hello", cwd: join(home, "app"), ftl: "0", jit: "10000", dfg: "50000", ram: "50000000", args: "agent" });
  // the opening arrives as one argument, as it was encoded
  const opening = agentOpening('{"type":"hello"}\n{"a":"b c $HOME `x` \' \\""}\n')!;
  expect(JSON.parse(run(launchScript("~/app", "batou-1.0.0", expected, { opening }), home).stdout).args).toBe(`agent --opening ${opening}`);
  expect(JSON.parse(run(agentCommand(join(home, "app"), "batou-1.0.0", opening), home).stdout).args).toBe(`agent --opening ${opening}`);
});



test("this Bun takes the agent's JSC options (an unknown BUN_JSC_ name would stop the agent's start)", () => {
  const env = Object.fromEntries(AGENT_ENVIRONMENT.split(" ").map((pair) => pair.split("=") as [string, string]));
  const result = spawnSync(process.execPath, ["-e", "console.log('started')"], { env: { ...process.env, ...env }, encoding: "utf8" });
  expect(result.stderr).toBe("");
  expect(result.stdout).toBe("started\n");
});

/** Bytes of `file` in the page cache (util-linux `fincore`). */
function cachedBytes(file: string): number {
  return Number(spawnSync("fincore", ["-n", "-b", "-o", "RES", file], { encoding: "utf8" }).stdout.trim());
}

const onTmpfs = spawnSync("stat", ["-f", "-c", "%T", tmpdir()], { encoding: "utf8" }).stdout.trim() === "tmpfs";

test.skipIf(onTmpfs)("the agent started after shipping runs from an executable dropped from the page cache; the launch script keeps it cached", () => {
  const home = tempHome();
  const file = join(home, "app", ".batou", "batou-1.0.0");
  const freshlyShipped = () => {
    mkdirSync(join(home, "app", ".batou"), { recursive: true });
    // 16 MiB that the shell never reads: only the first block is read again when it runs
    writeFileSync(file, `#!/bin/sh\n[ "$1" = agent ] && echo started\nexit 0\n${"#".repeat(79)}\n`.padEnd(16 * 2 ** 20, `${"#".repeat(79)}\n`));
    chmodSync(file, 0o755);
    expect(cachedBytes(file)).toBe(16 * 2 ** 20);
  };
  freshlyShipped();
  expect(run(agentCommand(join(home, "app"), "batou-1.0.0"), home).stdout).toBe("started\n");
  expect(cachedBytes(file)).toBeLessThan(4 * 2 ** 20);
  freshlyShipped();
  const st = statSync(file);
  writeFileSync(`${file}.sha256`, `${"ab".repeat(32)} ${st.size} ${Math.floor(st.mtimeMs / 1000)}\n`);
  expect(run(launchScript(join(home, "app"), "batou-1.0.0", { sha256: "ab".repeat(32), size: st.size }), home).stdout).toBe("started\n");
  expect(cachedBytes(file)).toBe(16 * 2 ** 20);
});

test("the agent's opening: base64url in the command line, read back exactly; too long is none; anything else never reaches a shell", () => {
  const lines = '{"type":"hello","protocol":4}\n{"type":"request","id":1,"method":"lock","params":{"owner":{"user":"über; rm -rf /"}}}\n';
  const opening = agentOpening(lines)!;
  expect(opening).toBe(Buffer.from(lines).toString("base64url"));
  expect(opening).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(readAgentOpening(opening)).toBe(lines);
  expect(agentCommand("/srv/app", "batou-1.0.0", "eyJ0eXBlIjoiaGVsbG8ifQo")).toBe(`cd /srv/app && ${dropFromPageCache(".batou/batou-1.0.0")}; ${AGENT_ENVIRONMENT} exec .batou/batou-1.0.0 agent --opening eyJ0eXBlIjoiaGVsbG8ifQo`);
  expect(launchScript("app", "batou-1.0.0", { sha256: "ab".repeat(32), size: 10 }, { opening: "eyJ0In0" }).split("\n")[4]).toBe(
    `if [ "$1" = ${"ab".repeat(32)} ] && [ "$2" = 10 ] && [ "$2 $3" = "$(stat -c '%s %Y' .batou/batou-1.0.0 2>/dev/null)" ]; then ${AGENT_ENVIRONMENT} exec .batou/batou-1.0.0 agent --opening eyJ0In0; fi`,
  );
  expect(agentOpening("x".repeat(OPENING_LIMIT))).toBeUndefined(); // 4/3 longer encoded: stdin instead
  expect(() => agentCommand("/srv/app", "batou-1.0.0", "a b")).toThrow("base64url");
  expect(() => agentCommand("/srv/app", "batou-1.0.0", "$(id)")).toThrow("base64url");
  expect(() => readAgentOpening("a=")).toThrow("base64url");
});

test("another executable (other sha256, or modified after its sidecar) gets a probe, not an agent; asked to, the probe hashes it", () => {
  const home = tempHome();
  const expected = fakeExecutable(home, "app", "batou-1.0.0");
  const other = parseProbe(run(launchScript("app", "batou-1.0.0", { ...expected, sha256: "cd".repeat(32) }), home).stdout)!;
  expect(other.sidecar.split(" ")[0]).toBe(expected.sha256);
  expect(other.empty).toBe(false);
  const file = join(home, "app/.batou/batou-1.0.0");
  writeFileSync(file, "changed", { flag: "a" });
  expect(run(launchScript("app", "batou-1.0.0", expected), home).stdout).toStartWith(`${PROBE_MARKER}\n`);
  const hashed = parseProbe(run(launchScript("app", "batou-1.0.0", undefined, { hash: true }), home).stdout)!;
  expect(hashed.sha256).toBe(new Bun.CryptoHasher("sha256").update(readFileSync(file)).digest("hex"));
  rmSync(file);
  expect(parseProbe(run(launchScript("app", "batou-1.0.0", undefined, { hash: true }), home).stdout)!.sha256).toBe("");
});

test(`a target directory that cannot be created exits ${EXIT_TARGET_UNUSABLE}`, () => {
  const home = tempHome();
  writeFileSync(join(home, "file"), "");
  expect(run(launchScript("file/sub", "batou-1.0.0"), home).status).toBe(EXIT_TARGET_UNUSABLE);
});

test("the stream receiver puts the file in place with its sidecar; a short or failed stream leaves no part file", () => {
  const home = tempHome();
  const data = "x".repeat(1000);
  const ok = run(streamReceiver(home, "batou-1.0.0", 1000, "ab".repeat(32)), home, data);
  expect(ok.status).toBe(0);
  const file = join(home, "batou-1.0.0");
  expect(readFileSync(file, "utf8")).toBe(data);
  expect(statSync(file).mode & 0o777).toBe(0o755);
  expect(readFileSync(`${file}.sha256`, "utf8")).toBe(`${"ab".repeat(32)} 1000 ${Math.floor(statSync(file).mtimeMs / 1000)}\n`);
  const short = run(streamReceiver(home, "batou-2.0.0", 1000, "cd".repeat(32)), home, "short");
  expect(short.status).not.toBe(0);
  const failed = run(streamReceiver(home, "batou-2.0.0", 1000, "cd".repeat(32), "false"), home, data);
  expect(failed.status).not.toBe(0);
  expect(readdirSync(home).sort()).toEqual(["batou-1.0.0", "batou-1.0.0.sha256"]);
  expect(existsSync(join(home, "batou-2.0.0"))).toBe(false);
  expect(run(streamReceiver(join(home, "nowhere"), "batou-1.0.0", 1, "ab"), home, "x").status).toBe(EXIT_TARGET_UNUSABLE);
});

test("the stream receiver names its part file after its own shell, so two deploys never share one", () => {
  expect(streamReceiver("/d", "batou-1.0.0", 5, "ab")).toContain("p=.batou-1.0.0.part.$$");
});

test("the history reader prints the target directory's history, and nothing (creating nothing) when there is none", () => {
  expect(historyReader("app")).toBe(`T=app\ncase "$T" in /*) ;; "~"/*) T="$HOME/\${T#"~/"}" ;; *) T="$HOME/$T" ;; esac\nif [ -f "$T/.batou/history.jsonl" ]; then cat "$T/.batou/history.jsonl"; fi`);
  const home = tempHome();
  const none = run(historyReader("app"), home);
  expect(none).toEqual({ stdout: "", stderr: "", status: 0 });
  expect(readdirSync(home)).toEqual([]);
  mkdirSync(join(home, "my app", ".batou"), { recursive: true });
  writeFileSync(join(home, "my app", ".batou", "history.jsonl"), '{"ok":true}\n');
  for (const target of ["my app", "~/my app", join(home, "my app")]) expect(run(historyReader(target), home).stdout).toBe('{"ok":true}\n');
});

test("OpenSSH: the master, its clients (rsync's --rsh), a command, ssh -G", () => {
  const spec = { configFile: "/p/ssh_config", controlPath: "/tmp/batou-ssh-x/m" };
  const common = ["ssh", "-F", "/p/ssh_config", "-S", "/tmp/batou-ssh-x/m", "-o", "BatchMode=yes", "-o", "RequestTTY=no", "-o", "RemoteCommand=none", "-o", "ClearAllForwardings=yes"];
  expect(opensshMasterArgv(spec, "web1")).toEqual([
    ...common, "-o", "ControlMaster=yes", "-o", "ControlPersist=no", "--", "web1", "exec cat",
  ]);
  expect(opensshClientArgv(spec)).toEqual([...common, "-o", "ControlMaster=no", "-o", "ProxyCommand=false"]);
  expect(opensshCommandArgv(spec, "web1", "sh -c 'echo hi'")).toEqual([...opensshClientArgv(spec), "--", "web1", "sh -c 'echo hi'"]);
  expect(opensshConfigArgv(spec, "web1")).toEqual(["ssh", "-F", "/p/ssh_config", "-G", "--", "web1"]);
  // without a project ssh_config: OpenSSH's own files
  expect(opensshConfigArgv({}, "web1")).toEqual(["ssh", "-G", "--", "web1"]);
  expect(opensshMasterArgv({ controlPath: "/c" }, "web1").slice(0, 4)).toEqual(["ssh", "-S", "/c", "-o"]);
  // the client argv is what rsync runs: its words survive rsync's own splitting of --rsh
  expect(rsyncArgv({ localDir: "/a", remoteDir: "b", rsh: opensshClientArgv(spec) })).toContain(
    "--rsh=ssh -F /p/ssh_config -S /tmp/batou-ssh-x/m -o BatchMode=yes -o RequestTTY=no -o RemoteCommand=none -o ClearAllForwardings=yes -o ControlMaster=no -o ProxyCommand=false",
  );
});

test("a streamed executable is unpacked by zstd when it travels compressed, else copied", () => {
  expect(streamUnpacker(true)).toBe("zstd -dcq");
  expect(streamUnpacker(false)).toBe("cat");
  expect(streamReceiver("/d", "batou-1.0.0", 5, "ab", streamUnpacker(true))).toContain('zstd -dcq > "$p"');
});

test("a ProxyCommand runs as OpenSSH runs it: /bin/sh -c exec COMMAND", () => {
  expect(proxyCommandArgv("nc -X connect -x proxy:3128 db1 22")).toEqual(["/bin/sh", ["-c", "exec nc -X connect -x proxy:3128 db1 22"]]);
});
