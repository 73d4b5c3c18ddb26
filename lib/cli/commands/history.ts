/** `batou history ENV [HOST]`: the deployment history each host keeps. */
import { formatHistory, readHistories } from "../../engine/history.ts";
import { Reporter } from "../../engine/reporter.ts";
import { findProjectRoot } from "../../project-root.ts";
import { readRemoteHistory } from "../../remote/connect.ts";
import { defineCommand } from "../command.ts";

export const historyCommand = defineCommand({
  name: "history",
  summary: "the deployments each host of an environment recorded",
  description: `Shows the deployments each host of environment ENV recorded (oldest first): when, who,
with which batou and git commit, whether it finished, and what changed. Hosts keep this in
.batou/history.jsonl of their target directory (locally: work/.batou/history.jsonl).`,
  arguments: [{ name: "ENV" }, { name: "HOST", optional: true }],
  options: { json: { type: "boolean", help: "one JSON object per deployment instead of text" } },
  async run({ args, options }) {
    const reporter = new Reporter({ json: options.json, debug: false });
    try {
      const histories = await readHistories({
        projectRoot: findProjectRoot(),
        environment: args[0]!.replace(/\.toml$/, ""),
        host: args[1],
        remote: readRemoteHistory,
      });
      for (const history of histories) {
        if (options.json) for (const entry of history.entries) console.log(JSON.stringify({ event: "history", ...entry }));
        else console.log(formatHistory(history).join("\n"));
      }
      return 0;
    } catch (error) {
      // With --json the error is a JSON event too (the reporter prints it through the error printer).
      reporter.error(error);
      return 1;
    }
  },
});
