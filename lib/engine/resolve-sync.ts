/**
 * Name resolution through the system resolver (getaddrinfo: /etc/hosts, DNS,
 * whatever nsswitch says), synchronously: `configure()` is synchronous, and an
 * `Address` resolves when a component first reads `listen`. The lookup runs
 * in a worker while this thread waits on a shared buffer, with a timeout.
 */

/** The addresses of `name` in `family`, or why there are none. */
export type Resolved = { addresses: string[] } | { error: string };

const WORKER = `
import { lookup } from "node:dns/promises";
self.onmessage = async ({ data: { buffer, name, family } }) => {
  let result;
  try {
    result = { addresses: (await lookup(name, { all: true, family })).map((entry) => entry.address) };
  } catch (error) {
    result = { error: error.code === "ENOTFOUND" ? "name or service not known" : String(error.code || error.message) };
  }
  const bytes = new TextEncoder().encode(JSON.stringify(result));
  const header = new Int32Array(buffer, 0, 2);
  new Uint8Array(buffer, 8).set(bytes.subarray(0, buffer.byteLength - 8));
  header[1] = Math.min(bytes.length, buffer.byteLength - 8);
  Atomics.store(header, 0, 1);
  Atomics.notify(header, 0);
};
`;

let worker: Worker | undefined;

function lookupWorker(): Worker {
  if (!worker) {
    worker = new Worker(URL.createObjectURL(new Blob([WORKER], { type: "text/javascript" })));
    worker.unref(); // never keeps batou running
  }
  return worker;
}

/** Resolves `name` to its IPv4 or IPv6 addresses, waiting at most `timeoutSeconds`. */
export function resolveSync(name: string, family: 4 | 6, timeoutSeconds = 10): Resolved {
  const buffer = new SharedArrayBuffer(8 + 16 * 1024);
  const header = new Int32Array(buffer, 0, 2);
  lookupWorker().postMessage({ buffer, name, family });
  if (Atomics.wait(header, 0, 0, timeoutSeconds * 1000) === "timed-out") {
    // A hung lookup keeps its worker busy: start a fresh one for the next.
    worker?.terminate();
    worker = undefined;
    return { error: `no answer within ${timeoutSeconds} s` };
  }
  return JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, header[1]))) as Resolved;
}
