/** `batou graph ENV [--format svg|dot|json] [--out FILE]`: a picture of the deployment model. */
import { extname, resolve } from "node:path";
import { writeFileAtomic } from "../../engine/atomic-file.ts";
import { Reporter } from "../../engine/reporter.ts";
import { drawGraph, GRAPH_FORMATS, type GraphFormat } from "../../graph/draw.ts";
import { findProjectRoot } from "../../project-root.ts";
import { defineCommand, UsageError } from "../command.ts";
import { deployExtensions } from "../extensions.ts";

const EXTENSIONS: Record<string, GraphFormat> = { ".svg": "svg", ".dot": "dot", ".gv": "dot", ".json": "json" };

/** `--format`, else what `--out`'s extension says, else svg. */
function formatOf(format: string | undefined, out: string | undefined): GraphFormat {
  if (format === undefined) return (out && EXTENSIONS[extname(out).toLowerCase()]) || "svg";
  if (!(GRAPH_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format expects one of ${GRAPH_FORMATS.join(", ")}, got "${format}"`);
  return format as GraphFormat;
}

export const graphCommand = defineCommand({
  name: "graph",
  summary: "draw the model of an environment (svg, dot or json)",
  description: `Draws the model of environment ENV: hosts as boxes (platform, service user), their root
components numbered in deploy order, resources as arrows from provider to requirer labelled
with the key (dashed: reverse, dotted: dirty); grey: not deployed (ignored hosts, !components).
When configuring fails it still draws, in red what failed: a configure() error, a dependency
cycle, "nothing provides KEY"; the errors are printed too and the exit status is 1.`,
  arguments: [{ name: "ENV" }],
  options: {
    format: {
      type: "string",
      value: "F",
      help: "svg (the default; drawn by batou itself), dot (Graphviz's input) or json (for tools); without it, the extension of --out's FILE decides (.svg, .dot, .gv, .json)",
    },
    out: { type: "string", value: "FILE", help: "write the picture to FILE instead of standard output" },
  },
  async run({ args, options }) {
    if (options.out === "") throw new UsageError("--out expects a file name");
    const format = formatOf(options.format, options.out);
    // Prints warnings and errors with every secret value masked.
    const reporter = new Reporter({ json: false, debug: false });
    try {
      const drawing = await drawGraph({
        projectRoot: findProjectRoot(),
        environment: args[0]!.replace(/\.toml$/, ""),
        format,
        reporter,
        loadSecrets: deployExtensions.loadSecrets,
      });
      if (options.out) writeFileAtomic(resolve(options.out), drawing.text);
      else process.stdout.write(drawing.text);
      if (!drawing.errors) return 0;
      reporter.error(drawing.errors);
      return 1;
    } catch (error) {
      reporter.error(error);
      return 1;
    }
  },
});
