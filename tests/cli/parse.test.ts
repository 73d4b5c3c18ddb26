/**
 * The command table drives the parser: the node:util configuration it makes,
 * the typed values, and batou's own messages for bad input (never the
 * parser's raw text).
 */
import { describe, expect, test } from "bun:test";
import { defineCommand, UsageError } from "../../lib/cli/command.ts";
import { deployCommand } from "../../lib/cli/commands/deploy.ts";
import { parseArgsConfig, parseCommandLine } from "../../lib/cli/parse.ts";

const sample = defineCommand({
  name: "sample",
  summary: "a command with one option of each type",
  arguments: [{ name: "ENV" }, { name: "HOST", optional: true }],
  options: {
    force: { type: "boolean", short: "f", help: "force" },
    name: { type: "string", short: "n", value: "NAME", help: "a name" },
    jobs: { type: "positive-integer", short: "j", value: "N", default: 1, help: "jobs" },
    timeout: { type: "positive-number", value: "S", help: "seconds" },
    hosts: { type: "list", value: "a,b", default: [], help: "hosts" },
  },
  run: async () => 0,
});

const parse = (argv: string[]) => parseCommandLine(["sample"], sample, argv);

function usageError(argv: string[]): UsageError {
  try {
    parse(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error(`no usage error for ${JSON.stringify(argv)}`);
}

describe("the parser configuration", () => {
  test("deploy's table becomes this node:util parseArgs config", () => {
    expect(parseArgsConfig(deployCommand)).toEqual({
      options: {
        "predict-only": { type: "boolean", short: "P" },
        "consistency-only": { type: "boolean", short: "c" },
        local: { type: "boolean", short: "L" },
        jobs: { type: "string", short: "j" },
        hosts: { type: "string" },
        "exclude-hosts": { type: "string" },
        "exit-code": { type: "boolean" },
        dirty: { type: "boolean", short: "D" },
        timeout: { type: "string", short: "t" },
        platform: { type: "string", short: "p" },
        json: { type: "boolean" },
        debug: { type: "boolean", short: "d" },
        help: { type: "boolean", short: "h" },
      },
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
  });
});

describe("parseCommandLine", () => {
  test.each([
    [["prod"], { args: ["prod"], options: { force: false, name: undefined, jobs: 1, timeout: undefined, hosts: [] } }],
    [["prod", "web1", "-f"], { args: ["prod", "web1"], options: { force: true } }],
    [["-fj", "3", "prod"], { args: ["prod"], options: { force: true, jobs: 3 } }],
    [["prod", "--jobs=4", "--timeout", "2.5"], { args: ["prod"], options: { jobs: 4, timeout: 2.5 } }],
    [["prod", "--hosts", "a, b,,c"], { args: ["prod"], options: { hosts: ["a", "b", "c"] } }],
    [["prod", "-n", "-", "--name=-x"], { args: ["prod"], options: { name: "-x" } }],
    [["--", "-prod"], { args: ["-prod"], options: { force: false } }],
  ])("%j", (argv, expected) => {
    expect(parse(argv)).toMatchObject({ help: false, ...expected });
  });

  test.each([[["--help"]], [["-h", "prod"]], [["-fh"]], [["--bogus", "--help"]], [[]]])("%j asks for help, whatever else is wrong", (argv) => {
    expect(parse([...argv, "--help"])).toEqual({ help: true });
  });

  test.each([
    [["prod", "--nope"], 'unknown option "--nope"'],
    [["prod", "-x"], 'unknown option "-x"'],
    [["prod", "--forc"], 'unknown option "--forc"'],
    [["prod", "--force=yes"], 'option --force takes no value, got "yes"'],
    [["prod", "--jobs"], "option --jobs needs a value: --jobs N"],
    [["prod", "-j", "--force"], 'option --jobs needs a value: --jobs N, got the option "--force" (write --jobs=--force if that is the value)'],
    [["prod", "-j", "0"], 'option --jobs expects a positive integer, got "0"'],
    [["prod", "-j", "1.5"], 'option --jobs expects a positive integer, got "1.5"'],
    [["prod", "--timeout="], 'option --timeout expects a positive number, got ""'],
    [["prod", "--timeout", "soon"], 'option --timeout expects a positive number, got "soon"'],
    [["prod", "--hosts", " , "], "option --hosts expects one or more names, separated by commas"],
    [[], "missing ENV"],
    [["prod", "web1", "extra", "more"], 'unexpected arguments "extra" "more"'],
  ])("%j is refused: %s", (argv, message) => {
    const error = usageError(argv);
    expect(error.message).toBe(message);
    expect(error.details()).toEqual([
      ["usage", "batou sample ENV [HOST] [options]"],
      ["help", "batou sample --help"],
    ]);
    expect(error.message).not.toContain("To specify a positional argument");
  });

  test("a variadic argument takes the rest, and needs one", () => {
    const keys = defineCommand({ name: "add", summary: "", arguments: [{ name: "KEY", variadic: true }], run: async () => 0 });
    expect(parseCommandLine(["secrets", "add"], keys, ["ssh-ed25519", "AAAA", "bob"])).toMatchObject({ args: ["ssh-ed25519", "AAAA", "bob"] });
    expect(() => parseCommandLine(["secrets", "add"], keys, [])).toThrow("missing KEY");
  });

  test("a prototype name is no option", () => {
    expect(usageError(["prod", "--constructor"]).message).toBe('unknown option "--constructor"');
  });
});
