/**
 * Help for every command and sub-command, from the command table: `--help`
 * and `-h` after any command, `batou help WORDS`, `batou GROUP help`, and the
 * listing of `batou --help`. Unknown commands and usage errors are printed
 * once, through the error printer, without doubled prefixes.
 */
import { describe, expect, test } from "bun:test";
import { COMMANDS } from "../../lib/cli/all-commands.ts";
import type { Command, LeafCommand } from "../../lib/cli/command.ts";
import { type CliOutput, runCommandLine } from "../../lib/cli/dispatch.ts";
import { synopsis } from "../../lib/cli/usage.ts";

/** Runs `batou ARGV` in process, capturing what the CLI itself prints. */
async function batou(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const output: CliOutput = { out: (t) => out.push(t), err: (t) => err.push(t), color: false, debug: false };
  const code = await runCommandLine(COMMANDS, argv, output);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** Every visible command that runs, with the words that call it. */
function leaves(commands: Command[], prefix: string[] = []): [string[], LeafCommand][] {
  return commands
    .filter((command) => !command.hidden)
    .flatMap((command) => (command.kind === "group" ? leaves(command.commands, [...prefix, command.name]) : [[[...prefix, command.name], command] as [string[], LeafCommand]]));
}

const ALL = leaves(COMMANDS);

describe("help", () => {
  test("the table has every documented command", () => {
    expect(ALL.map(([path]) => path.join(" "))).toEqual([
      "deploy",
      "history",
      "graph",
      "secrets edit",
      "secrets summary",
      "secrets add",
      "secrets remove",
      "secrets reencrypt",
      "secrets keygen",
      "secrets decrypttostdout",
      "lock release",
      "init",
      "update",
      "migrate-python",
    ]);
  });

  test.each(ALL.map(([path, command]) => [path.join(" "), path, command] as const))("batou %s --help shows its own usage", async (_, path, command) => {
    for (const flag of ["--help", "-h"]) {
      const r = await batou(...path, flag);
      expect(r.code).toBe(0);
      expect(r.err).toBe("");
      expect(r.out.split("\n")[0]).toBe(`usage: ${synopsis(path, command)}`);
      for (const long of Object.keys(command.options)) expect(r.out).toContain(`--${long}`);
      expect(r.out).toContain("-h, --help");
    }
    const viaHelp = await batou("help", ...path);
    expect(viaHelp).toEqual(await batou(...path, "--help"));
    // the words after the command do not matter, nor do bad options next to --help
    expect((await batou(...path, "x", "--bogus", "--help")).out).toBe(viaHelp.out);
  });

  test("batou secrets help, batou secrets --help and batou help secrets list every sub-command", async () => {
    const help = await batou("secrets", "help");
    expect(help.code).toBe(0);
    expect(help.out).toStartWith("usage: batou secrets <command> ...\n");
    for (const sub of ["edit ENV [NAME]", "summary", "add KEY...", "remove KEY...", "reencrypt", "keygen [PATH]", "decrypttostdout FILE"]) {
      expect(help.out).toContain(`\n  ${sub} `);
    }
    expect(await batou("secrets", "--help")).toEqual(help);
    expect(await batou("help", "secrets")).toEqual(help);
    expect((await batou("secrets", "help", "add")).out).toStartWith("usage: batou secrets add KEY... [options]\n");
  });

  test("batou secrets alone prints the list on stderr and exits 2", async () => {
    const r = await batou("secrets");
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toBe((await batou("secrets", "help")).out);
  });

  test("batou --help lists every command and sub-command with its arguments", async () => {
    const r = await batou("--help");
    expect(r.code).toBe(0);
    for (const [path, command] of ALL) {
      expect(r.out).toMatch(new RegExp(`\\n  ${path.join(" ")}\\b.*  ${command.summary.replace(/[()]/g, "\\$&")}\\n`));
    }
    expect(r.out).toContain("secrets decrypttostdout FILE");
    expect(r.out).not.toContain("agent");
    expect(await batou("help")).toEqual(r);
    expect(await batou("-h")).toEqual(r);
  });
});

describe("usage errors", () => {
  test.each([
    [["secrets", "bogus"], 'ERROR: unknown command "secrets bogus"\n  commands: edit, summary, add, remove, reencrypt, keygen, decrypttostdout\n      help: batou secrets --help'],
    [["bogus"], 'ERROR: unknown command "bogus"\n  commands: deploy, history, graph, secrets, lock, init, update, migrate-python\n      help: batou --help'],
    [["help", "secrets", "nope"], 'ERROR: unknown command "secrets nope"\n  commands: edit, summary, add, remove, reencrypt, keygen, decrypttostdout\n      help: batou secrets --help'],
    [["secrets", "reencrypt", "--nope"], 'ERROR: unknown option "--nope"\n  usage: batou secrets reencrypt [options]\n   help: batou secrets reencrypt --help'],
    [["secrets", "edit"], "ERROR: missing ENV\n  usage: batou secrets edit ENV [NAME] [options]\n   help: batou secrets edit --help"],
    [["deploy", "dev", "-j"], "ERROR: option --jobs needs a value: --jobs N\n  usage: batou deploy ENV [options]\n   help: batou deploy --help"],
    [["help", "deploy", "x"], 'ERROR: "batou deploy" has no sub-commands\n  help: batou deploy --help'],
  ])("%j: one message, exit 2", async (argv, expected) => {
    const r = await batou(...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toBe(expected);
  });
});
