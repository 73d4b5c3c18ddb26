/**
 * Which components to report as slow, as batou does: those whose own work
 * (verify and update, their sub-components' time left out) took a second or
 * more. Component events arrive children first, each with its total time, so
 * the time of slow descendants is subtracted from their ancestors: a slow
 * Download is named once, not again in every component above it.
 */
import type { DeployEvent } from "./events.ts";

/** A component whose own work takes at least this many seconds is reported with its time. */
export const SLOW_SECONDS = 1;

type ComponentEvent = Extract<DeployEvent, { event: "component" }>;

export class SlowComponents {
  /** Per host and root: slow (or slow-containing) components not yet accounted to an ancestor. */
  private readonly open = new Map<string, { component: string; seconds: number }[]>();

  /** True when `event`'s component was slow by itself. */
  isSlow(event: ComponentEvent): boolean {
    if (event.seconds === undefined) return false;
    const key = `${event.host}\u0000${event.root}`;
    const list = this.open.get(key) ?? [];
    const inside = list.filter((entry) => entry.component.startsWith(`${event.component} > `));
    const reported = inside.reduce((sum, entry) => sum + entry.seconds, 0);
    const rest = list.filter((entry) => !inside.includes(entry));
    const slow = event.seconds - reported >= SLOW_SECONDS;
    if (slow || inside.length) rest.push({ component: event.component, seconds: slow ? event.seconds : reported });
    this.open.set(key, rest);
    return slow;
  }
}
