/**
 * The configure fixpoint: configure every root component, then again those
 * whose required resources changed or are still missing, until the model is
 * stable. Then check it: no cycles, no unsatisfied strict requirements, no
 * provided-but-unused resources. Errors name the roots and hosts involved.
 */
import { Component, constructed } from "./component.ts";
import { BatouError, ComponentError, ConfigurationError, ConfigurationErrors, knockOnMessage, SilentConfigurationError, userFrame } from "./errors.ts";
import type { Environment } from "./environment.ts";
import { CycleError, topologicalOrder } from "./topological-order.ts";
import type { RootComponent } from "./root.ts";

export interface ConfigureResult {
  /** Roots in deploy order: providers before those that require them. */
  order: RootComponent[];
  /** Dependencies among roots (`root → roots that must deploy first`). */
  dependencies: Map<RootComponent, Set<RootComponent>>;
  warnings: string[];
  /** Log messages of configure(), by root, in deploy order. */
  logs: { root: RootComponent; message: string }[];
  rounds: number;
}

/**
 * What `configure()` throws: every problem of the model and, apart, the
 * roots whose configure() failed in the last round with their errors (what
 * `batou graph` marks on the picture).
 */
export class ModelErrors extends ConfigurationErrors {
  constructor(
    errors: BatouError[],
    readonly failedRoots: ReadonlyMap<RootComponent, readonly BatouError[]>,
  ) {
    super(errors);
  }
}

/** Upper bound of rounds, far above what real models need. */
const MAX_ROUNDS = 200;

/** What a root's failed configure reports: its errors with host, root and the user's line added. */
function describe(error: unknown, root: RootComponent): BatouError[] {
  if (error instanceof ConfigurationErrors) return error.errors.flatMap((e) => describe(e, root));
  if (error instanceof BatouError) {
    const context = { ...error.context };
    context.host ??= root.host.name;
    context.root ??= root.name;
    if (!context.file) {
      const frame = userFrame(error, root.environment.projectRoot);
      if (frame) Object.assign(context, frame);
    }
    return [new ConfigurationError(error.message, context)];
  }
  const frame = userFrame(error, root.environment.projectRoot);
  const e = error as Error;
  return [
    new ComponentError(`configure() failed: ${e?.name ?? "Error"}: ${e?.message ?? String(error)}`, {
      file: frame?.file,
      line: frame?.line,
      host: root.host.name,
      component: root.component?.breadcrumbs ?? root.name,
    }),
  ];
}

/** `error` marked as following from `cause`. */
function knockOn(error: BatouError, cause: string | undefined): BatouError {
  if (!cause) return error;
  return new (error.constructor as typeof BatouError)(knockOnMessage(error.message, cause), error.context);
}

function warnUnused(root: RootComponent, warnings: string[]): void {
  if (constructed.size === 0) return;
  const names = [...constructed].map((component) => component.constructor.name);
  warnings.push(`${root.id}: created but never added with add(): ${names.join(", ")}`);
  constructed.clear();
}

const checkedClasses = new WeakSet<Function>();
function warnUpdateWithoutVerify(component: Component, warnings: string[]): void {
  for (const c of [component, ...component.recursiveSubComponents()]) {
    const klass = c.constructor;
    if (checkedClasses.has(klass)) continue;
    checkedClasses.add(klass);
    const proto = klass.prototype as Component;
    if (proto.update !== Component.prototype.update && proto.verify === Component.prototype.verify) {
      warnings.push(`${klass.name} has update() but no verify(): batou only calls update() when verify() says so`);
    }
  }
}

export interface ConfigureOptions {
  /**
   * Only these roots (ids `host/name`): a host's agent configures its own
   * roots and the providers they read ({@link configureScope}), not the whole
   * environment. Resources that nothing in the scope requires are then not
   * an error: the deploying machine checked the whole model.
   */
  scope?: ReadonlySet<string>;
  /**
   * Component files that failed to load (the run reports their errors too):
   * what they would have provided is missing, so unsatisfied and unused
   * resources are marked as following from them.
   */
  failedToLoad?: readonly string[];
}

/**
 * Configures the environment until stable; throws `ConfigurationErrors` with
 * every problem of the model when it is not (see {@link modelErrors}).
 */
export function configure(environment: Environment, options: ConfigureOptions = {}): ConfigureResult {
  const { resources } = environment;
  const { scope } = options;
  const roots = scope ? environment.roots.filter((root) => scope.has(root.id)) : environment.roots;
  const warnings: string[] = [];
  const position = new Map(roots.map((root, index) => [root, index]));
  const history = new Set<string>();
  /** The errors of each root's last configure, while it fails. */
  const failures = new Map<RootComponent, BatouError[]>();
  let workingSet = [...roots];
  let rounds = 0;
  let converged = true;
  while (workingSet.length > 0) {
    rounds++;
    const retry = new Set<RootComponent>();
    resources.dirtyRoots.clear();
    for (const root of workingSet) {
      resources.reset(root);
      constructed.clear();
      failures.delete(root);
      try {
        const component = root.prepare();
        warnUnused(root, warnings);
        warnUpdateWithoutVerify(component, warnings);
      } catch (error) {
        constructed.clear();
        if (!(error instanceof SilentConfigurationError)) failures.set(root, describe(error, root));
        retry.add(root);
      }
    }
    for (const root of resources.dirtyRoots) retry.add(root);
    for (const { roots } of resources.unsatisfied()) for (const root of roots) retry.add(root);
    if (retry.size === 0) break;
    workingSet = [...retry].sort((a, b) => position.get(a)! - position.get(b)!);
    const key = workingSet.map((root) => root.id).join(",");
    if (history.has(key) || rounds >= MAX_ROUNDS) {
      converged = false;
      break;
    }
    history.add(key);
  }
  const errors = modelErrors(environment, failures, { checkUnused: !scope, failedToLoad: options.failedToLoad ?? [] });
  if (!converged && errors.length === 0) {
    errors.push(
      new ConfigurationError(`configuration does not converge: ${workingSet.length} root component(s) keep changing`, {
        roots: workingSet.map((root) => root.id).join(", "),
      }),
    );
  }
  if (errors.length > 0) throw new ModelErrors(errors, failures);
  const dependencies = resources.dependencies(roots);
  const order = topologicalOrder(dependencies);
  const logs = order.flatMap((root) => root.logs.map((message) => ({ root, message })));
  return { order, dependencies, warnings, logs, rounds };
}

/**
 * The configuration errors of `environment` (none when it configures), for a
 * run that reports them together with its load errors; `failedToLoad` as in
 * {@link ConfigureOptions}.
 */
export function configurationErrors(environment: Environment, failedToLoad: readonly string[]): BatouError[] {
  try {
    configure(environment, { failedToLoad });
    return [];
  } catch (error) {
    if (error instanceof ConfigurationErrors) return error.errors;
    throw error;
  }
}

/**
 * Every problem of a configured model: the errors of roots that failed to
 * configure, unsatisfied requirements, a dependency cycle, provided but unused
 * resources. When roots failed, what may only follow from that is marked as a
 * knock-on error: a failed root that read a resource nothing provided, the
 * unsatisfied and the unused resources.
 */
function modelErrors(environment: Environment, failures: Map<RootComponent, BatouError[]>, options: { checkUnused: boolean; failedToLoad: readonly string[] }): BatouError[] {
  const { resources } = environment;
  const failed = [...failures.keys()];
  // A failed root that got nothing for a resource probably failed because a provider failed.
  const starved = new Set(failed.filter((root) => resources.emptyReads(root).size > 0));
  // (A file that failed to load may be that provider: then the starved roots are no causes either.)
  const causes = starved.size < failed.length || options.failedToLoad.length > 0 ? failed.filter((root) => !starved.has(root)) : failed;
  const reasons = [...(causes.length > 0 ? [`${causes.map((root) => root.id).join(", ")} failed to configure`] : []), ...options.failedToLoad.map((file) => `${file} failed to load`)];
  const because = reasons.length > 0 ? reasons.join(", ") : undefined;
  const errors: BatouError[] = [];
  for (const [root, list] of failures) {
    for (const error of list) errors.push(causes.includes(root) ? error : knockOn(error, because));
  }
  errors.push(...unsatisfiedErrors(environment).map((error) => knockOn(error, because)));
  for (const { root, key } of resources.selfRequired()) {
    errors.push(
      new ConfigurationError(`${root.id} requires resource "${key}", which it provides itself`, {
        host: root.host.name,
        component: root.name,
        hint: "a root component cannot wait for itself (batou calls this a cycle): move the component that requires it (a CronTab, Logrotate, Supervisor, ...) into a root component of its own",
      }),
    );
  }
  const cycle = cycleError(environment);
  if (cycle) errors.push(cycle);
  if (options.checkUnused) {
    for (const { key, root, values } of resources.unused()) {
      const error = new ConfigurationError(`resource "${key}" is provided but nothing requires it`, {
        host: root.host.name,
        component: root.name,
        values: values.map((value) => (value instanceof Component ? value.breadcrumbs : JSON.stringify(value))).join(", "),
      });
      errors.push(knockOn(error, because));
    }
  }
  return errors;
}

function unsatisfiedErrors(environment: Environment): BatouError[] {
  return environment.resources.unsatisfied().map(
    ({ key, host, roots }) =>
      new ConfigurationError(`resource "${key}"${host ? ` on host ${host}` : ""} is required but nothing provides it`, {
        "required by": roots.map((root) => root.id).join(", "),
      }),
  );
}

function cycleError(environment: Environment): BatouError | undefined {
  try {
    topologicalOrder(environment.resources.dependencies(environment.roots));
    return undefined;
  } catch (error) {
    if (!(error instanceof CycleError)) throw error;
    const lines = [...(error.remaining as Map<RootComponent, Set<RootComponent>>)]
      .map(([root, deps]) => `${root.id} depends on ${[...deps].map((dep) => dep.id).join(", ")}`)
      .sort();
    return new ConfigurationError(`dependency cycle between root components:\n  ${lines.join("\n  ")}`, {
      hint: "break it with require(key, { dirty: true }) or { reverse: true }",
    });
  }
}

/** Ids of the roots that a host's agent configures: the host's own and, transitively, their providers. */
export function configureScope(environment: Environment, host: string): string[] {
  const own = environment.roots.filter((root) => root.host.name === host);
  return [...environment.resources.withProviders(own)].map((root) => root.id);
}
