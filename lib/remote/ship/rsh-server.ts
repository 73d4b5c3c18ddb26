/**
 * The batou side of the rsh bridge: a unix socket in a private (0700)
 * temporary directory. Each bridge connection names a command; it is run as
 * an exec channel on the host's existing SSH connection and the bytes are
 * relayed both ways. Only commands accepted by `allow` run.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClientChannel } from "ssh2";
import { encodeFrame, Frame, FrameDecoder } from "./rsh-frames.ts";
import { channelExit } from "../ssh/exec.ts";

/** Anything that can start a remote command on a host (an SshConnection). */
export interface ChannelOpener {
  readonly alias: string;
  spawn(command: string): Promise<ClientChannel>;
}

/** Options of {@link serveRshBridge}. */
export interface RshServerOptions {
  /** Whether the joined command may run (e.g. it must start with `rsync --server`). */
  allow: (command: string) => boolean;
  /** Rewrites the command before it runs (e.g. prefixes a `mkdir -p`). */
  wrap?: (command: string) => string;
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
  /** Stops listening, closes open channels and removes the socket directory. */
  close(): Promise<void>;
}

/** Starts a bridge server for one host connection. */
export async function serveRshBridge(opener: ChannelOpener, options: RshServerOptions): Promise<RshServer> {
  const dir = mkdtempSync(join(tmpdir(), "batou-rsh-")); // mode 0700: only we can connect
  const socketPath = join(dir, "s");
  const channels = new Set<ClientChannel>();
  const sockets = new Set<Socket>();
  const state = { bytesToRemote: 0, bytesFromRemote: 0, commands: [] as string[] };
  const log = options.log ?? (() => {});

  const handle = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let channel: ClientChannel | null = null;
    const early: Buffer[] = [];
    let earlyEof = false;
    const sendExit = (code: number, message?: string) => {
      if (!socket.destroyed) socket.end(encodeFrame(Frame.Exit, Buffer.from(JSON.stringify({ code, message }))));
    };
    const toChannel = (data: Buffer) => {
      state.bytesToRemote += data.length;
      if (!channel!.write(data)) {
        socket.pause();
        channel!.once("drain", () => socket.resume());
      }
    };
    const decoder = new FrameDecoder((type, payload) => {
      if (type === Frame.Header) {
        const { args } = JSON.parse(payload.toString("utf8")) as { args: string[] };
        const command = args.join(" "); // exactly what ssh would send
        if (!options.allow(command)) {
          sendExit(255, `${opener.alias}: refusing to run "${command}" through the rsync bridge`);
          return;
        }
        const remote = options.wrap ? options.wrap(command) : command;
        state.commands.push(remote);
        log(`rsh bridge: running ${remote}`);
        opener.spawn(remote).then((ch) => {
          channel = ch;
          channels.add(ch);
          ch.on("data", (d: Buffer) => {
            state.bytesFromRemote += d.length;
            if (!socket.write(encodeFrame(Frame.Stdout, d))) {
              ch.pause();
              socket.once("drain", () => ch.resume());
            }
          });
          ch.stderr.on("data", (d: Buffer) => socket.write(encodeFrame(Frame.Stderr, d)));
          channelExit(ch).then(({ code }) => {
            channels.delete(ch);
            sendExit(code ?? 255);
          });
          for (const d of early.splice(0)) toChannel(d);
          if (earlyEof) ch.end();
        }, (error: Error) => sendExit(255, error.message));
      } else if (type === Frame.Stdin) {
        if (channel) toChannel(payload);
        else early.push(Buffer.from(payload));
      } else if (type === Frame.StdinEof) {
        if (channel) channel.end();
        else earlyEof = true;
      }
    });
    socket.on("data", (chunk: Buffer) => decoder.push(chunk));
    socket.on("close", () => channel?.close());
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
      for (const ch of channels) ch.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
