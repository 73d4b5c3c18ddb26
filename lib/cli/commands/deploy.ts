/** `batou deploy ENV`: configure, check, connect and converge an environment. */
import { runDeployment } from "../../engine/deployment.ts";
import { Reporter } from "../../engine/reporter.ts";
import { findProjectRoot } from "../../project-root.ts";
import { defineCommand } from "../command.ts";
import { deployExtensions } from "../extensions.ts";

export const deployCommand = defineCommand({
  name: "deploy",
  summary: "deploy an environment (-P predicts, -c checks only)",
  description: "Configures the whole model of environment ENV, checks it, and converges every host.",
  arguments: [{ name: "ENV" }],
  options: {
    "predict-only": { type: "boolean", short: "P", help: "verify only and show what would change (with diffs); change nothing" },
    "consistency-only": { type: "boolean", short: "c", help: "load and configure the model, check it, deploy nothing" },
    local: { type: "boolean", short: "L", help: "deploy to this machine, whatever connect_method says" },
    jobs: { type: "positive-integer", short: "j", value: "N", help: "root components deployed in parallel (else the environment's jobs, else 1)" },
    hosts: { type: "list", value: "A,B", help: "deploy only these hosts (the whole model is still configured and checked)" },
    "exclude-hosts": { type: "list", value: "C", help: "deploy every host but these" },
    "exit-code": { type: "boolean", help: "exit 3 when something changed (with -P: would change), 0 when nothing did" },
    dirty: { type: "boolean", short: "D", help: "skip the branch check" },
    timeout: { type: "positive-number", short: "t", value: "S", help: "seconds for connecting and for each remote step (else the environment's)" },
    platform: { type: "string", short: "p", value: "P", help: 'platform of hosts that set none ("" for none)' },
    json: { type: "boolean", help: "one JSON object per line instead of text" },
    debug: { type: "boolean", short: "d", help: "debug output and stack traces" },
  },
  async run({ args, options }) {
    const reporter = new Reporter({ json: options.json, debug: options.debug });
    let projectRoot: string;
    try {
      projectRoot = findProjectRoot();
    } catch (error) {
      reporter.error(error);
      return 1;
    }
    return runDeployment({
      projectRoot,
      environment: args[0]!.replace(/\.toml$/, ""),
      predict: options["predict-only"],
      consistencyOnly: options["consistency-only"],
      local: options.local,
      jobs: options.jobs,
      hosts: options.hosts,
      excludeHosts: options["exclude-hosts"],
      exitCode: options["exit-code"],
      dirty: options.dirty,
      timeout: options.timeout,
      platform: options.platform,
      reporter,
      connectAttempts: Number(process.env.BATOU_CONNECT_ATTEMPTS) || undefined,
      backoffSeconds: process.env.BATOU_CONNECT_BACKOFF ? Number(process.env.BATOU_CONNECT_BACKOFF) : undefined,
      handleSignals: true,
      ...deployExtensions,
    });
  },
});
