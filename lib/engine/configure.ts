/**
 * The configure fixpoint: configure every root component, then again those
 * whose required resources changed or are still missing, until the model is
 * stable. Then check it: no cycles, no unsatisfied strict requirements, no
 * provided-but-unused resources. Errors name the roots and hosts involved.
 */
import { Component, constructed } from "./component.ts";
import { BatouError, ComponentError, ConfigurationError, ConfigurationErrors, SilentConfigurationError, userFrame } from "./errors.ts";
import type { Environment } from "./environment.ts";
import { CycleError, topologicalOrder } from "./graph.ts";
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

/** Upper bound of rounds, far above what real models need. */
const MAX_ROUNDS = 200;

function describe(error: unknown, root: RootComponent): BatouError {
  if (error instanceof BatouError) {
    const context = { ...error.context };
    context.host ??= root.host.name;
    context.root ??= root.name;
    if (!context.file) {
      const frame = userFrame(error, root.environment.projectRoot);
      if (frame) Object.assign(context, frame);
    }
    return new ConfigurationError(error.message, context);
  }
  const frame = userFrame(error, root.environment.projectRoot);
  const e = error as Error;
  return new ComponentError(`configure() failed: ${e?.name ?? "Error"}: ${e?.message ?? String(error)}`, {
    file: frame?.file,
    line: frame?.line,
    host: root.host.name,
    component: root.component?.breadcrumbs ?? root.name,
  });
}

function warnUnused(root: RootComponent, warnings: string[]): void {
  if (constructed.size === 0) return;
  const names = [...constructed].map((component) => component.constructor.name);
  warnings.push(`${root.id}: created but never added with add(): ${names.join(", ")}`);
  constructed.clear();
}

const checkedClasses = new WeakSet<Function>();
function warnUpdateWithoutVerify(component: Component, warnings: string[]): void {
  for (const c of [component, ...walk(component)]) {
    const klass = c.constructor;
    if (checkedClasses.has(klass)) continue;
    checkedClasses.add(klass);
    const proto = klass.prototype as Component;
    if (proto.update !== Component.prototype.update && proto.verify === Component.prototype.verify) {
      warnings.push(`${klass.name} has update() but no verify(): batou only calls update() when verify() says so`);
    }
  }
}

function* walk(component: Component): Generator<Component> {
  for (const child of component.subComponents) {
    yield child;
    yield* walk(child);
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
}

/** Configures the environment until stable; throws `ConfigurationErrors` when it is not. */
export function configure(environment: Environment, options: ConfigureOptions = {}): ConfigureResult {
  const { resources } = environment;
  const { scope } = options;
  const roots = scope ? environment.roots.filter((root) => scope.has(root.id)) : environment.roots;
  const warnings: string[] = [];
  const position = new Map(roots.map((root, index) => [root, index]));
  const history = new Set<string>();
  let workingSet = [...roots];
  let errors: BatouError[] = [];
  let rounds = 0;
  while (workingSet.length > 0) {
    rounds++;
    errors = [];
    const retry = new Set<RootComponent>();
    resources.dirtyRoots.clear();
    for (const root of workingSet) {
      resources.reset(root);
      constructed.clear();
      try {
        const component = root.prepare();
        warnUnused(root, warnings);
        warnUpdateWithoutVerify(component, warnings);
      } catch (error) {
        constructed.clear();
        if (!(error instanceof SilentConfigurationError)) errors.push(describe(error, root));
        retry.add(root);
      }
    }
    for (const root of resources.dirtyRoots) retry.add(root);
    for (const { roots } of resources.unsatisfied()) for (const root of roots) retry.add(root);
    if (retry.size === 0) break;
    workingSet = [...retry].sort((a, b) => position.get(a)! - position.get(b)!);
    const key = workingSet.map((root) => root.id).join(",");
    if (history.has(key) || rounds >= MAX_ROUNDS) {
      errors.push(...unsatisfiedErrors(environment));
      const cycle = cycleError(environment);
      if (cycle) errors.push(cycle);
      if (errors.length === 0) {
        errors.push(
          new ConfigurationError(`configuration does not converge: ${workingSet.length} root component(s) keep changing`, {
            roots: workingSet.map((root) => root.id).join(", "),
          }),
        );
      }
      throw new ConfigurationErrors(dedupe(errors));
    }
    history.add(key);
  }
  const cycle = cycleError(environment);
  if (cycle) throw new ConfigurationErrors([cycle]);
  const unused = scope ? [] : resources.unused();
  if (unused.length > 0) {
    throw new ConfigurationErrors(
      unused.map(
        ({ key, root, values }) =>
          new ConfigurationError(`resource "${key}" is provided but nothing requires it`, {
            host: root.host.name,
            component: root.name,
            values: values.map((value) => (value instanceof Component ? value.breadcrumbs : JSON.stringify(value))).join(", "),
          }),
      ),
    );
  }
  const dependencies = resources.dependencies(roots);
  const order = topologicalOrder(dependencies);
  const logs = order.flatMap((root) => root.logs.map((message) => ({ root, message })));
  return { order, dependencies, warnings, logs, rounds };
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

function dedupe(errors: BatouError[]): BatouError[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = JSON.stringify(error.toJSON());
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Ids of the roots that a host's agent configures: the host's own and, transitively, their providers. */
export function configureScope(environment: Environment, host: string): string[] {
  const own = environment.roots.filter((root) => root.host.name === host);
  return [...environment.resources.withProviders(own)].map((root) => root.id);
}
