/**
 * Shipping a directory to a host that has no rsync: the tree (the same
 * entries rsync would ship, project-manifest.ts's walk) goes as one tar
 * archive through a command on the transport into `treeReceiver`
 * (commands.ts), which unpacks it beside the old tree and only then puts it
 * in place. No delta: every shipment sends the whole tree, which is why
 * rsync is used whenever the host has it. With GNU tar on the host the
 * nanosecond mtimes survive, so the next deploy finds the fingerprints equal
 * and ships nothing.
 *
 * @module
 */
import { asUser, DEFAULT_EXCLUDES, sh, treeArchiveArgv, treeReceiver } from "../commands.ts";
import { SshError } from "../ssh/ssh-error.ts";
import type { Transport } from "../transport.ts";
import { walkTree } from "./project-manifest.ts";
import type { ShipOptions, ShipResult } from "./rsync.ts";
import { streamChunks } from "./stream-file.ts";

/** The local tar's output; fails (after the last chunk) when tar did not succeed. */
async function* archive(proc: Bun.Subprocess<Blob, "pipe", "pipe">, localDir: string): AsyncGenerator<Uint8Array> {
  const stderr = new Response(proc.stderr).text();
  for await (const chunk of proc.stdout) yield chunk;
  const code = await proc.exited;
  if (code !== 0) throw new Error(`tar of ${localDir} failed (exit ${code}): ${(await stderr).trim().split("\n").slice(-3).join(" | ")}`);
}

/** Ships the contents of `localDir` into `remoteDir` as a tar stream (options as for rsync; compression and extra rsync arguments do not apply). */
export async function streamDirectory(transport: Transport, localDir: string, remoteDir: string, options: ShipOptions = {}): Promise<ShipResult> {
  const started = performance.now();
  const excludes = options.excludes ?? DEFAULT_EXCLUDES;
  const names: string[] = [];
  let files = 0;
  walkTree(localDir, excludes, ({ kind, relative }) => {
    names.push(relative);
    if (kind === "f") files++;
  });
  const command = asUser(options.sudoUser, sh(treeReceiver(remoteDir, excludes)));
  options.log?.(`tar stream of ${localDir} (${names.length} entries): ${command.replace(/\n/g, "; ")}`);
  const list = new Blob(names.map((name) => `${name}\0`));
  const tar = Bun.spawn(treeArchiveArgv(localDir), { stdin: list, stdout: "pipe", stderr: "pipe", env: { ...process.env, LC_ALL: "C" } });
  try {
    const { bytesSent } = await streamChunks(transport, archive(tar, localDir), `${localDir} (tar stream)`, command, { stallSeconds: options.timeoutSeconds ?? 30 });
    const result: ShipResult = { bytesSent, bytesReceived: 0, filesTransferred: files, durationMs: performance.now() - started, remoteCommand: command };
    options.log?.(`tar stream: ${files} file(s), sent ${bytesSent} B in ${result.durationMs.toFixed(0)} ms`);
    return result;
  } catch (error) {
    if (error instanceof SshError) throw error;
    throw new SshError(transport.host, "channel", `shipping ${localDir} to ${remoteDir} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    tar.kill();
  }
}
