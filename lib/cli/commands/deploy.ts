/** `batou deploy ENV`: configure, check, connect and converge an environment. */
import { parseArgs } from "node:util";
import { runDeployment } from "../../engine/deployment.ts";
import { Reporter } from "../../engine/reporter.ts";
import { findProjectRoot } from "../../project.ts";
import { type Command, UsageError } from "../command.ts";
import { deployExtensions } from "../extensions.ts";

const usage = `usage: batou deploy ENV [options]

Configures the whole model of environment ENV, checks it, and converges every host.

options:
  -P, --predict-only       verify only and show what would change (with diffs); change nothing
  -c, --consistency-only   load and configure the model, check it, deploy nothing
  -L, --local              deploy to this machine, whatever connect_method says
  -j, --jobs N             root components deployed in parallel (default: the environment's jobs, else 1)
      --hosts A,B          deploy only these hosts (the whole model is still configured and checked)
      --exclude-hosts C    deploy every host but these
      --exit-code          exit 3 when something changed (with -P: would change), 0 when nothing did
  -D, --dirty              skip the branch check
  -t, --timeout S          seconds for connecting and for each remote step
  -p, --platform P         platform of hosts that set none ("" for none)
      --json               one JSON object per line instead of text
  -d, --debug              debug output and stack traces
  -h, --help               this text`;

function positiveNumber(value: string | undefined, flag: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || (integer && !Number.isInteger(number))) {
    throw new UsageError(`${flag} expects a positive ${integer ? "integer" : "number"}, got "${value}"`);
  }
  return number;
}

/** `a,b` → `["a", "b"]`. */
function hostList(value: string | undefined, flag: string): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(",").map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError(`${flag} expects host names, separated by commas`);
  return names;
}

export const deployCommand: Command = {
  name: "deploy",
  summary: "deploy an environment (-P predicts, -c checks only)",
  usage,
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          "predict-only": { type: "boolean", short: "P", default: false },
          "consistency-only": { type: "boolean", short: "c", default: false },
          local: { type: "boolean", short: "L", default: false },
          jobs: { type: "string", short: "j" },
          hosts: { type: "string" },
          "exclude-hosts": { type: "string" },
          "exit-code": { type: "boolean", default: false },
          dirty: { type: "boolean", short: "D", default: false },
          timeout: { type: "string", short: "t" },
          platform: { type: "string", short: "p" },
          json: { type: "boolean", default: false },
          debug: { type: "boolean", short: "d", default: false },
        },
      });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError(positionals.length ? "expected one environment" : "missing environment");
    const reporter = new Reporter({ json: values.json!, debug: values.debug! });
    let projectRoot: string;
    try {
      projectRoot = findProjectRoot();
    } catch (error) {
      reporter.error(error);
      return 1;
    }
    return runDeployment({
      projectRoot,
      environment: positionals[0]!.replace(/\.toml$/, ""),
      predict: values["predict-only"]!,
      consistencyOnly: values["consistency-only"]!,
      local: values.local!,
      jobs: positiveNumber(values.jobs, "--jobs", true),
      hosts: hostList(values.hosts, "--hosts"),
      excludeHosts: hostList(values["exclude-hosts"], "--exclude-hosts"),
      exitCode: values["exit-code"]!,
      dirty: values.dirty!,
      timeout: positiveNumber(values.timeout, "--timeout", false),
      platform: values.platform,
      reporter,
      connectAttempts: Number(process.env.BATOU_CONNECT_ATTEMPTS) || undefined,
      backoffSeconds: process.env.BATOU_CONNECT_BACKOFF ? Number(process.env.BATOU_CONNECT_BACKOFF) : undefined,
      handleSignals: true,
      ...deployExtensions,
    });
  },
};
