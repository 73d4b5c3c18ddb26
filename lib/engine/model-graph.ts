/**
 * The deployment model as a graph, for `batou graph`: hosts, their root
 * components, the resources between them and the deploy order. A pure
 * function of an environment after `configure()`, also after it failed: then
 * the graph shows what went wrong (roots whose configure() failed, the roots
 * on a dependency cycle, requirements nothing provides, resources nothing
 * requires). Rendering (DOT, SVG, JSON) is elsewhere (lib/graph/).
 *
 * @example
 * ```ts
 * let outcome: ConfigureResult | ConfigurationErrors;
 * try { outcome = configure(environment); } catch (error) { outcome = error as ConfigurationErrors; }
 * const graph = graphModel(environment, outcome);
 * ```
 */
import { type ConfigureResult, ModelErrors } from "./configure.ts";
import type { Environment } from "./environment.ts";
import { BatouError, ConfigurationErrors } from "./errors.ts";
import { CycleError, topologicalOrder } from "./topological-order.ts";
import type { Host } from "./host.ts";
import type { RootComponent } from "./root.ts";

/** A host: a cluster of root components. */
export interface GraphHost {
  name: string;
  fqdn: string;
  platform?: string;
  serviceUser?: string;
  /** Why nothing is deployed here (`ignore = true`), if so. */
  ignored?: string;
}

/** A root component on a host. */
export interface GraphRoot {
  /** `host/name`, as in batou's messages. */
  id: string;
  host: string;
  name: string;
  /** Its place in the deploy order (1 first), when the model configured and the root is deployed. */
  order?: number;
  /** Why it is not deployed, if so (`!name`, or its host is ignored). */
  ignored?: string;
  /** The first error of its configure(), when that failed. */
  failed?: string;
  /** On a dependency cycle. */
  cycle: boolean;
}

/** A resource edge: `from` provides `key`, `to` requires it. */
export interface GraphEdge {
  from: string;
  to: string;
  key: string;
  /** The requirement's host filter, if any. */
  host?: string;
  /** `reverse`: the requirer deploys before the provider. */
  reverse: boolean;
  /** `dirty`: a change of the value does not configure the requirer again. */
  dirty: boolean;
  /** This edge's ordering is part of a dependency cycle. */
  cycle: boolean;
}

/** A strict requirement nothing satisfies: drawn as a "nothing provides KEY" node with edges to its requirers. */
export interface GraphMissing {
  /** Node id (never a root id: it has no slash-separated host prefix of a root). */
  id: string;
  key: string;
  host?: string;
  requiredBy: string[];
}

/** A provided resource nothing requires: a "nothing requires KEY" node with an edge from its provider. */
export interface GraphUnused {
  id: string;
  key: string;
  providedBy: string;
}

/** The whole picture; plain data (`batou graph --format json` prints it). */
export interface GraphModel {
  environment: string;
  /** True when the model configured without errors (then the deployed roots carry `order`). */
  ok: boolean;
  hosts: GraphHost[];
  roots: GraphRoot[];
  edges: GraphEdge[];
  missing: GraphMissing[];
  unused: GraphUnused[];
  /** Every configuration error's message, in report order (empty when `ok`). */
  errors: string[];
}

export interface GraphOptions {
  /** Applied to every message taken from an error (e.g. masking secret values). */
  mask?: (text: string) => string;
}

/**
 * The graph of `environment` as `configure()` left it: `outcome` is what it
 * returned, or the `ConfigurationErrors` it threw.
 */
export function graphModel(environment: Environment, outcome: ConfigureResult | ConfigurationErrors, options: GraphOptions = {}): GraphModel {
  const mask = options.mask ?? ((text: string) => text);
  const { resources } = environment;
  const failed = outcome instanceof ModelErrors ? outcome.failedRoots : new Map<RootComponent, readonly BatouError[]>();
  const cycle = cycleOf(resources.dependencies(environment.roots));
  // A root that requires what it provides itself is batou's cycle of one.
  const selfRequired = new Set(resources.selfRequired().map(({ root }) => root));
  // Numbers only for a model that configured, and only for the roots a deployment runs.
  const deployed = outcome instanceof ConfigurationErrors ? [] : outcome.order.filter((root) => !ignoredReason(root));
  const position = new Map(deployed.map((root, index) => [root, index + 1]));

  const roots = environment.roots.map((root): GraphRoot => {
    const errors = failed.get(root);
    return {
      id: root.id,
      host: root.host.name,
      name: root.name,
      order: position.get(root),
      ignored: ignoredReason(root),
      failed: errors?.length ? mask(errors[0]!.message) : undefined,
      cycle: cycle.has(root) || selfRequired.has(root),
    };
  });

  const edges = new Map<string, GraphEdge>();
  for (const { key, subscription, provider } of resources.links()) {
    const { root: requirer, host, reverse, dirty } = subscription;
    const id = [provider.id, requirer.id, key, reverse, dirty].join("\0");
    if (edges.has(id)) continue;
    // The ordering this edge imposes: the requirer after the provider, or before with `reverse`.
    const [later, earlier] = reverse ? [provider, requirer] : [requirer, provider];
    const onCycle = provider === requirer || (cycle.get(later)?.has(earlier) ?? false);
    edges.set(id, { from: provider.id, to: requirer.id, key, host, reverse, dirty, cycle: onCycle });
  }

  const missing = resources.unsatisfied().map(({ key, host, roots: requirers }) => ({
    id: `nothing provides ${key}${host ? ` on ${host}` : ""}`,
    key,
    host,
    requiredBy: requirers.map((root) => root.id),
  }));
  const unused = resources.unused().map(({ key, root }) => ({ id: `nothing requires ${key} from ${root.id}`, key, providedBy: root.id }));

  return {
    environment: environment.name,
    ok: !(outcome instanceof ConfigurationErrors),
    hosts: [...environment.hosts.values()].map(graphHost),
    roots,
    edges: [...edges.values()],
    missing,
    unused,
    errors: outcome instanceof ConfigurationErrors ? outcome.errors.map((error) => mask(error.message)) : [],
  };
}

function graphHost(host: Host): GraphHost {
  return {
    name: host.name,
    fqdn: host.fqdn,
    platform: host.platform,
    serviceUser: host.serviceUser,
    ignored: host.ignore ? "ignore = true" : undefined,
  };
}

function ignoredReason(root: RootComponent): string | undefined {
  if (root.host.ignore) return "host ignored";
  if (root.ignore) return `!${root.name}`;
  return undefined;
}

/** The roots on a dependency cycle, each with the roots of the cycle it depends on; empty without one. */
function cycleOf(dependencies: Map<RootComponent, Set<RootComponent>>): Map<RootComponent, Set<RootComponent>> {
  try {
    topologicalOrder(dependencies);
    return new Map();
  } catch (error) {
    if (error instanceof CycleError) return error.remaining as Map<RootComponent, Set<RootComponent>>;
    throw error;
  }
}
