/**
 * What a run did so far, counted from its events alone: components verified
 * and changed, and where. The summary, the failure message and the Ctrl-C
 * message all read this one tally, so they agree with what was reported, also
 * after a partial failure (a File written, then a sibling's update() threw:
 * its host changed).
 */
import type { DeployEvent } from "./events.ts";

export class Tally {
  /** Components verified. */
  components = 0;
  /** Components that updated (or would, under -P). */
  changed = 0;
  /** Host name → the components that changed there, in the order they did. */
  readonly changes = new Map<string, string[]>();
  /** Roots (`host/name`) deploying now, and those done or skipped (from the root events). */
  readonly runningRoots = new Set<string>();
  readonly doneRoots = new Set<string>();

  /** Counts one event. */
  count(event: DeployEvent): void {
    if (event.event === "root") {
      const id = `${event.host}/${event.root}`;
      if (event.status === "start") this.runningRoots.add(id);
      else {
        this.runningRoots.delete(id);
        this.doneRoots.add(id);
      }
    }
    if (event.event === "component") {
      this.components++;
      if (event.updated) {
        this.changed++;
        const list = this.changes.get(event.host) ?? [];
        list.push(event.component);
        this.changes.set(event.host, list);
      }
    }
  }

  /** Hosts where something changed (or would), in the order they first did. */
  get changedHosts(): string[] {
    return [...this.changes.keys()];
  }
}
