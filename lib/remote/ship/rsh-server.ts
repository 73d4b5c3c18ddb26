/**
 * The batou side of the rsh bridge: a unix socket in a private (0700)
 * temporary directory. Each bridge connection names a command; it is run on
 * the host's existing connection and the bytes are relayed both ways. Only
 * commands accepted by `allow` run.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runningRelease } from "../../bootstrap/release-executable.ts";
import type { RemoteProcess, RsyncShell } from "../transport.ts";
import { isCompiled } from "./host-executable.ts";
import { encodeFrame, Frame, FrameDecoder } from "./rsh-frames.ts";

/** Anything that can start a remote command on a host (a transport). */
export interface ChannelOpener {
  readonly host: string;
  spawn(command: string): Promise<RemoteProcess>;
}

/**
 * How rsync starts the bridge (the socket path follows). From source: this
 * Bun binary running rsh-bridge.ts; as a release bundle: `bun batou.js
 * __rsh-bridge`; in the compiled executable (sources in Bun's `/$bunfs`): the
 * executable with the hidden `__rsh-bridge` sub-command.
 */
export function bridgeCommand(): string[] {
  if (isCompiled()) return [process.execPath, "__rsh-bridge"];
  const release = runningRelease();
  if (release) return [process.execPath, join(release.dir, "batou.js"), "__rsh-bridge"];
  return [process.execPath, join(import.meta.dir, "rsh-bridge.ts")];
}

/** Options of {@link serveRshBridge}. */
export interface RshServerOptions {
  /** Whether the joined command may run (e.g. it must start with `rsync --server`). */
  allow: (command: string) => boolean;
  log?: (line: string) => void;
}

/** A running bridge server. */
export interface RshServer {
  socketPath: string;
  /** Bytes relayed to / from the remote command (SSH payload, excluding framing). */
  readonly bytesToRemote: number;
  readonly bytesFromRemote: number;
  /** Commands that were run. */
  readonly commands: string[];
  /** Stops listening, stops the commands still running (TERM) and removes the socket directory. */
  close(): Promise<void>;
}

/** Signals a remote command and drops its channel. */
function stop(remote: RemoteProcess | null): void {
  remote?.signal("TERM");
  remote?.close();
}

/** Starts a bridge server for one host connection. */
export async function serveRshBridge(opener: ChannelOpener, options: RshServerOptions): Promise<RshServer> {
  const dir = mkdtempSync(join(tmpdir(), "batou-rsh-")); // mode 0700: only we can connect
  const socketPath = join(dir, "s");
  const channels = new Set<RemoteProcess>();
  const sockets = new Set<Socket>();
  const state = { bytesToRemote: 0, bytesFromRemote: 0, commands: [] as string[] };
  const log = options.log ?? (() => {});

  const handle = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let channel: RemoteProcess | null = null;
    const early: Buffer[] = [];
    let earlyEof = false;
    const sendExit = (code: number, message?: string) => {
      if (!socket.destroyed) socket.end(encodeFrame(Frame.Exit, Buffer.from(JSON.stringify({ code, message }))));
    };
    const toChannel = (data: Buffer) => {
      state.bytesToRemote += data.length;
      if (!channel!.stdio.write(data)) {
        socket.pause();
        channel!.stdio.once("drain", () => socket.resume());
      }
    };
    const decoder = new FrameDecoder((type, payload) => {
      if (type === Frame.Header) {
        const { args } = JSON.parse(payload.toString("utf8")) as { args: string[] };
        const command = args.join(" "); // exactly what ssh would send
        if (!options.allow(command)) {
          sendExit(255, `${opener.host}: refusing to run "${command}" through the rsync bridge`);
          return;
        }
        state.commands.push(command);
        log(`rsh bridge: running ${command}`);
        opener.spawn(command).then((ch) => {
          channel = ch;
          channels.add(ch);
          ch.stdio.on("data", (d: Buffer) => {
            state.bytesFromRemote += d.length;
            if (!socket.write(encodeFrame(Frame.Stdout, d))) {
              ch.stdio.pause();
              socket.once("drain", () => ch.stdio.resume());
            }
          });
          ch.stderr.on("data", (d: Buffer) => socket.write(encodeFrame(Frame.Stderr, d)));
          ch.exit.then(({ code }) => {
            channels.delete(ch);
            sendExit(code ?? 255);
          });
          for (const d of early.splice(0)) toChannel(d);
          if (earlyEof) ch.stdio.end();
        }, (error: Error) => sendExit(255, `${opener.host}: ${error.message}`));
      } else if (type === Frame.Stdin) {
        if (channel) toChannel(payload);
        else early.push(Buffer.from(payload));
      } else if (type === Frame.StdinEof) {
        if (channel) channel.stdio.end();
        else earlyEof = true;
      }
    });
    socket.on("data", (chunk: Buffer) => decoder.push(chunk));
    // the bridge is gone (rsync ended or was killed): stop what it ran, sshd would not
    socket.on("close", () => stop(channel));
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });

  return {
    socketPath,
    get bytesToRemote() {
      return state.bytesToRemote;
    },
    get bytesFromRemote() {
      return state.bytesFromRemote;
    },
    commands: state.commands,
    async close() {
      // stop what still runs and wait (briefly, the link may be gone) until it has ended
      const running = [...channels];
      for (const ch of running) stop(ch);
      await Promise.race([Promise.all(running.map((ch) => ch.exit)), Bun.sleep(2000)]);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A transport's {@link RsyncShell}: a bridge server relaying to commands
 * `opener` starts; it is in `open` until closed (so the transport's close
 * can stop it).
 */
export async function bridgeShell(opener: ChannelOpener, options: RshServerOptions, open: Set<RsyncShell>): Promise<RsyncShell> {
  const server = await serveRshBridge(opener, options);
  const shell: RsyncShell = {
    argv: [...bridgeCommand(), server.socketPath],
    commands: server.commands,
    close: async () => {
      open.delete(shell);
      await server.close();
    },
  };
  open.add(shell);
  return shell;
}
