/** `batou history ENV [HOST]`: the deployment history each host keeps. */
import { parseArgs } from "node:util";
import { formatHistory, readHistories } from "../../engine/history.ts";
import { Reporter } from "../../engine/reporter.ts";
import { findProjectRoot } from "../../project.ts";
import { readRemoteHistory } from "../../remote/connect.ts";
import { type Command, UsageError } from "../command.ts";

const usage = `usage: batou history ENV [HOST] [options]

Shows the deployments each host of environment ENV recorded (oldest first): when, who,
with which batou and git commit, whether it finished, and what changed. Hosts keep this in
.batou/history.jsonl of their target directory (locally: work/.batou/history.jsonl).

options:
      --json               one JSON object per deployment instead of text
  -h, --help               this text`;

export const historyCommand: Command = {
  name: "history",
  summary: "the deployments each host of an environment recorded",
  usage,
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { json: { type: "boolean", default: false } } });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const { values, positionals } = parsed;
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError(positionals.length ? "expected ENV and at most one HOST" : "missing environment");
    const reporter = new Reporter({ json: values.json!, debug: false });
    try {
      const histories = await readHistories({
        projectRoot: findProjectRoot(),
        environment: positionals[0]!.replace(/\.toml$/, ""),
        host: positionals[1],
        remote: readRemoteHistory,
      });
      for (const history of histories) {
        if (values.json) for (const entry of history.entries) console.log(JSON.stringify({ event: "history", ...entry }));
        else console.log(formatHistory(history).join("\n"));
      }
      return 0;
    } catch (error) {
      reporter.error(error);
      return 1;
    }
  },
};
