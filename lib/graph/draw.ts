/**
 * One `batou graph ENV` run without the command line: load the environment
 * (with its secrets when they open, as a deployment would), configure it,
 * take the graph model of what configure left, also when it failed, and
 * render it as DOT, SVG or JSON. Nothing is connected to and nothing written.
 */
import { configure, type ConfigureResult } from "../engine/configure.ts";
import { type Environment, loadEnvironment, type SecretsData } from "../engine/environment.ts";
import { locateEnvironment } from "../engine/environment-file.ts";
import { BatouError, ConfigurationErrors } from "../engine/errors.ts";
import { type GraphModel, graphModel } from "../engine/model-graph.ts";
import type { Reporter } from "../engine/reporter.ts";
import { toDotText } from "./dot.ts";
import { renderSvg } from "./svg.ts";

export const GRAPH_FORMATS = ["svg", "dot", "json"] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export interface DrawOptions {
  projectRoot: string;
  environment: string;
  format: GraphFormat;
  /** Warnings and the masking of secret values. */
  reporter: Reporter;
  /** Decrypts the environment's secrets; drawn without them when absent or when they cannot be opened. */
  loadSecrets?: (projectRoot: string, environment: string) => Promise<SecretsData | undefined>;
}

export interface Drawing {
  /** The picture in the asked format. */
  text: string;
  graph: GraphModel;
  /** What configuring found wrong (the picture shows it); undefined when the model is consistent. */
  errors?: ConfigurationErrors;
}

/**
 * Draws environment `options.environment`. Throws only when there is no
 * model to draw (the environment or its components do not load).
 */
export async function drawGraph(options: DrawOptions): Promise<Drawing> {
  const { reporter } = options;
  const environment = await loadModel(options);
  let outcome: ConfigureResult | ConfigurationErrors;
  try {
    outcome = configure(environment);
  } catch (error) {
    if (!(error instanceof ConfigurationErrors)) throw error;
    outcome = error;
  }
  const graph = graphModel(environment, outcome, { mask: (text) => reporter.mask(text) });
  const errors = outcome instanceof ConfigurationErrors ? outcome : undefined;
  return { text: await render(graph, options.format), graph, errors };
}

/** `graph` as text in `format` (JSON with a final newline, like the other formats). */
export async function render(graph: GraphModel, format: GraphFormat): Promise<string> {
  if (format === "json") return `${JSON.stringify(graph, null, 2)}\n`;
  const dot = toDotText(graph);
  return format === "dot" ? dot : renderSvg(dot);
}

async function loadModel(options: DrawOptions): Promise<Environment> {
  const { projectRoot, environment: name, reporter } = options;
  // A missing environment is reported by the file it should be in, before secrets are read.
  locateEnvironment(projectRoot, name);
  let secrets: SecretsData | undefined;
  try {
    secrets = await options.loadSecrets?.(projectRoot, name);
  } catch (error) {
    // A picture of the model's shape needs no keys: say what is missing and draw without the secrets.
    const reason = error instanceof BatouError ? error.message : String((error as Error)?.message ?? error);
    reporter.emit({ event: "warning", message: `drawn without the secrets, which cannot be opened: ${reason}` });
  }
  if (secrets) reporter.hideSecrets(secrets.values);
  for (const warning of secrets?.warnings ?? []) reporter.emit({ event: "warning", message: warning });
  const environment = await loadEnvironment({ projectRoot, name, secrets });
  // As on the deploying machine: names of a remote model resolve on its hosts, not here.
  if (environment.settings.connectMethod !== "local") environment.resolveAddresses = "on-hosts";
  return environment;
}
