/**
 * The progress lines of a text deployment (batou prints "connecting",
 * "deploying"): per host connected, batou and the project shipped (bytes; the
 * live line shows the rate while they travel), configured; each root as it starts and when it is done, with its
 * duration. On a terminal the live status line shows what is in flight, so
 * the lines for things that only begin (a transfer, a root) are left out
 * there; without a terminal they are printed, so a log shows what a slow
 * step was doing.
 */
import type { DeployEvent } from "./events.ts";
import { formatBytes } from "./live-status.ts";

/** The line for `event`, if it has one; `live`: a status line shows what is in flight. */
export function progressLine(event: DeployEvent, live: boolean): string | undefined {
  if (event.event === "host") return hostLine(event);
  if (event.event === "progress") return !live && event.bytes === 0 ? `${event.host}: shipping ${event.what}${event.total ? ` (${formatBytes(event.total)})` : ""}` : undefined;
  if (event.event !== "root") return undefined;
  switch (event.status) {
    case "start":
      return live ? undefined : `${event.host}: deploying ${event.root}`;
    case "done":
      return `${event.host}: ${event.root} done in ${seconds(event.seconds)} (${event.changed ? `${event.changed} changed` : "nothing changed"})`;
    case "skip-host":
      return `${event.host}: skipping ${event.root} (host ignored)`;
    case "skip-excluded":
      return `${event.host}: skipping ${event.root} (host excluded)`;
    case "skip-component":
      return `${event.host}: skipping ${event.root} (component ignored)`;
  }
}

function hostLine(event: Extract<DeployEvent, { event: "host" }>): string | undefined {
  const took = seconds(event.seconds);
  const sent = `${formatBytes(event.bytes ?? 0)} sent`;
  switch (event.status) {
    case "connected":
      // a local "connection" is this process: nothing to report
      return event.seconds === undefined ? undefined : `${event.host}: connected in ${took}`;
    case "shipped-executable":
      return `${event.host}: batou shipped in ${took} (${sent})`;
    case "shipped":
      return event.files ? `${event.host}: project shipped in ${took} (${event.files} file(s) changed, ${sent})` : undefined;
    case "configured":
      return `${event.host}: configured in ${took}`;
    default:
      return undefined;
  }
}

const seconds = (value: number | undefined) => `${(value ?? 0).toFixed(2)}s`;
