/**
 * Ordering of a dependency graph `node → nodes it depends on`.
 *
 * @example
 * ```ts
 * topologicalOrder(new Map([["app", new Set(["db"])], ["db", new Set()]])); // ["db", "app"]
 * ```
 */

/** Thrown with the nodes that remain in a cycle and their dependencies among them. */
export class CycleError<T> extends Error {
  constructor(readonly remaining: Map<T, Set<T>>) {
    super("dependency cycle");
  }
}

/**
 * Dependencies first. Ties keep the insertion order of `graph`, so output is
 * deterministic. Throws `CycleError` naming the nodes of every cycle.
 */
export function topologicalOrder<T>(graph: Map<T, Set<T>>): T[] {
  const pending = new Map<T, number>();
  const dependents = new Map<T, T[]>();
  for (const node of graph.keys()) {
    pending.set(node, 0);
    dependents.set(node, []);
  }
  for (const [node, deps] of graph) {
    for (const dep of deps) {
      if (!graph.has(dep)) continue;
      pending.set(node, pending.get(node)! + 1);
      dependents.get(dep)!.push(node);
    }
  }
  const order: T[] = [];
  const ready = [...graph.keys()].filter((node) => pending.get(node) === 0);
  for (let i = 0; i < ready.length; i++) {
    const node = ready[i]!;
    order.push(node);
    for (const dependent of dependents.get(node)!) {
      const left = pending.get(dependent)! - 1;
      pending.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  if (order.length < graph.size) {
    throw new CycleError(cycleCore(graph, new Set(order)));
  }
  return order;
}

/** The unordered rest, pruned of nodes nothing in it depends on (they only hang off a cycle). */
function cycleCore<T>(graph: Map<T, Set<T>>, done: Set<T>): Map<T, Set<T>> {
  const rest = new Map<T, Set<T>>();
  for (const [node, deps] of graph) {
    if (!done.has(node)) rest.set(node, new Set([...deps].filter((dep) => !done.has(dep))));
  }
  let pruned = true;
  while (pruned) {
    pruned = false;
    const needed = new Set([...rest.values()].flatMap((deps) => [...deps]));
    for (const node of rest.keys()) {
      if (!needed.has(node)) {
        rest.delete(node);
        pruned = true;
      }
    }
  }
  return rest;
}
