/**
 * The one error printer (lib/engine/error-printer.ts) and the terminal helpers
 * (lib/terminal.ts): what every command and the deploy reporter
 * print for an error, escaped, coloured only when wanted; then the same
 * through the real CLI in both runners (no stack traces, no doubled
 * prefixes, no raw parser messages, FORCE_COLOR).
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pc from "picocolors";
import { UsageError } from "../../lib/cli/command.ts";
import { errorEvent, errorLines, errorReports } from "../../lib/engine/error-printer.ts";
import { ConfigurationError, ConfigurationErrors } from "../../lib/engine/errors.ts";
import { Reporter } from "../../lib/engine/reporter.ts";
import { colorWanted, escapeForTerminal } from "../../lib/terminal.ts";
import { ensureCompiled, hasStackTrace, RUNNERS, runBatou, tempProject } from "../helpers/project.ts";

// Each test runs batou as a child process, some several times.
setDefaultTimeout(60_000);

const lines = (error: unknown, debug = false) => errorReports(error).flatMap((report) => errorLines(report, { debug }));

describe("escapeForTerminal", () => {
  test.each([
    ["plain text and tabs\tstay", "plain text and tabs\tstay"],
    ["a forged\nline", "a forged\\x0aline"],
    ["bob\x1b]0;owned\x07", "bob\\x1b]0;owned\\x07"],
    ["\x1b[2J\x1b[1;1H", "\\x1b[2J\\x1b[1;1H"],
    ["over\rwrite", "over\\x0dwrite"],
    ["c1 \u009b31m del \x7f nul \x00", "c1 \\x9b31m del \\x7f nul \\x00"],
    ["file\u202egnp.exe", "file\\u{202e}gnp.exe"],
    ["ünïcödé ✓ 日本", "ünïcödé ✓ 日本"],
  ])("%j → %j", (text, expected) => {
    expect(escapeForTerminal(text)).toBe(expected);
  });
});

describe("colorWanted", () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  test.each([
    [tty, {}, true],
    [pipe, {}, false],
    [tty, { TERM: "dumb" }, false],
    [tty, { NO_COLOR: "1" }, false],
    [tty, { NO_COLOR: "" }, false],
    [pipe, { FORCE_COLOR: "1" }, true],
    [pipe, { FORCE_COLOR: "" }, true],
    [pipe, { FORCE_COLOR: "3" }, true],
    [pipe, { FORCE_COLOR: "true" }, true],
    [tty, { FORCE_COLOR: "1", NO_COLOR: "1" }, true],
    [tty, { FORCE_COLOR: "0" }, false],
    [tty, { FORCE_COLOR: "false" }, false],
    [tty, { FORCE_COLOR: "1", TERM: "dumb" }, true],
  ])("%j with %j: %p", (stream, env, expected) => {
    expect(colorWanted(stream, env)).toBe(expected);
  });
});

describe("the error printer", () => {
  test("a batou error: message, then aligned rows; values of several lines indented", () => {
    const error = new ConfigurationError('unknown attribute "prot"', {
      file: "environments/dev.toml",
      line: 7,
      component: "App",
      attribute: "prot",
      expected: "one of: port\nname",
    });
    expect(lines(error)).toEqual([
      'ERROR: unknown attribute "prot"',
      "       file: environments/dev.toml:7",
      "  component: App",
      "  attribute: prot",
      "   expected: one of: port",
      "             name",
    ]);
  });

  test("every error of a ConfigurationErrors, each on its own", () => {
    const error = new ConfigurationErrors([new ConfigurationError("first", { host: "a" }), new ConfigurationError("second")]);
    expect(lines(error)).toEqual(["ERROR: first", "  host: a", "ERROR: second"]);
  });

  test("an operating system error: cannot SYSCALL PATH: reason, and its code", () => {
    let thrown: unknown;
    try {
      mkdirSync("/proc/batou-test/x");
    } catch (error) {
      thrown = error;
    }
    expect(lines(thrown)).toEqual(["ERROR: cannot mkdir /proc/batou-test/x: no such file or directory", "  code: ENOENT"]);
  });

  test("an unexpected error says so, with how to see its stack; the stack only in debug mode", () => {
    const error = new TypeError("x is not a function");
    expect(lines(error)).toEqual(["ERROR: unexpected error: x is not a function", "  hint: this may be a batou bug; BATOU_DEBUG=1 shows the stack trace"]);
    const debug = lines(error, true);
    expect(debug.slice(2).join("\n")).toContain("errors.test.ts");
    expect(lines("a string")).toEqual(["ERROR: unexpected error: a string", "  hint: this may be a batou bug; BATOU_DEBUG=1 shows the stack trace"]);
  });

  test("terminal escapes in messages, labels and values are shown, not sent", () => {
    const error = new ConfigurationError("host \x1b]0;pwned\x07 is unknown", { host: "web\x1b[2K1", "\x1b[31mlabel": "v\r" });
    const text = lines(error).join("\n");
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(text).toContain("host \\x1b]0;pwned\\x07 is unknown");
    expect(text).toContain("web\\x1b[2K1");
    expect(text).toContain("\\x1b[31mlabel: v\\x0d");
  });

  test("colour: bold red ERROR line only when asked", () => {
    const [colored] = errorLines(errorReports(new ConfigurationError("boom"))[0]!, { colors: pc.createColors(true) });
    expect(colored).toBe("\x1b[31m\x1b[1mERROR: boom\x1b[22m\x1b[39m");
  });

  test("a usage error is a batou error with the usage rows", () => {
    const error = new UsageError('unknown option "--x"', { usage: "batou init [DIR]", help: "batou init --help" });
    expect(lines(error)).toEqual(['ERROR: unknown option "--x"', "  usage: batou init [DIR]", "   help: batou init --help"]);
  });

  test("the JSON form carries class, message and context", () => {
    const [report] = errorReports(new ConfigurationError("boom", { host: "a" }));
    expect(errorEvent(report!)).toEqual({ event: "error", error: "ConfigurationError", message: "boom", context: { host: "a" } });
  });

  test("the deploy reporter prints errors through the printer, masked", () => {
    const err: string[] = [];
    const reporter = new Reporter({ json: false, debug: false, color: false, err: (line) => err.push(line), out: () => {} });
    reporter.hideSecrets(["hunter2-secret"]);
    const error = new ConfigurationError("bad value hunter2-secret\x1b[2J", { host: "web1" });
    reporter.error(error);
    expect(err).toEqual(lines(error).map((line) => line.replace("hunter2-secret", "<secret>")));
  });
});

describe("through the CLI", () => {
  beforeAll(() => ensureCompiled(), 300_000);
  const project = tempProject({ "environments/dev.toml": '[environment]\nconnect_method = "local"\n' });
  afterAll(() => project.cleanup());

  for (const runner of RUNNERS) {
    describe(runner.name, () => {
      test("init where a file is in the way: one clean error, no stack trace", () => {
        const file = join(project.dir, `a-file-${runner.name}`);
        writeFileSync(file, "");
        const r = runBatou(runner, ["init", join(file, "new")], project.dir, { BATOU_DEBUG: "" });
        expect(r.code).toBe(1);
        expect(hasStackTrace(r.output)).toBe(false);
        // the compiled dist/batou carries the launcher template too: the same error as from source
        expect(r.stderr).toBe(`ERROR: cannot mkdir ${join(file, "new")}: not a directory\n  code: ENOTDIR\n`);
      });

      test("usage errors: no doubled prefix, no raw parser message", () => {
        for (const args of [["secrets", "help", "bogus"], ["secrets", "reencrypt", "--nope"], ["deploy", "dev", "-j"], ["deploy", "--bogus", "dev"]]) {
          const r = runBatou(runner, args, project.dir);
          expect({ args, code: r.code }).toEqual({ args, code: 2 });
          expect(r.stderr).toStartWith("ERROR: ");
          expect(r.stderr).not.toContain("secrets: secrets:");
          expect(r.stderr).not.toContain("To specify a positional argument");
          expect(r.stderr).not.toMatch(/argument missing|Unknown option/);
        }
      });

      test("FORCE_COLOR colours errors through a pipe, even beside NO_COLOR; FORCE_COLOR=0 does not", () => {
        const forced = runBatou(runner, ["bogus"], project.dir, { FORCE_COLOR: "1", NO_COLOR: "1" });
        expect(forced.stderr).toStartWith('\x1b[31m\x1b[1mERROR: unknown command "bogus"');
        const off = runBatou(runner, ["bogus"], project.dir, { FORCE_COLOR: "0" });
        expect(off.stderr).toStartWith('ERROR: unknown command "bogus"');
      });
    });
  }
});
