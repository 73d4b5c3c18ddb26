/**
 * The rsh bridge: what rsync runs as its remote shell (`rsync -e`), so that
 * rsync talks through batou's existing SSH connection instead of a new `ssh`.
 *
 * rsync runs `<bridge...> <socket> [-l user] <host> <command words...>`. The
 * bridge connects to `<socket>` (served by {@link serveRshBridge} in the batou
 * process), sends the command words, then relays its stdin to the remote
 * command and the remote stdout/stderr back, and exits with the remote exit
 * status. It imports nothing but node:net, so it starts quickly.
 *
 * From source: `bun lib/remote/ship/rsh-bridge.ts SOCKET ...`. In the compiled
 * executable the CLI dispatches a hidden sub-command to {@link runRshBridge}:
 * `batou __rsh-bridge SOCKET ...`.
 *
 * @module
 */
import { connect } from "node:net";
import { encodeFrame, Frame, FrameDecoder } from "./rsh-frames.ts";

/** Removes rsh options rsync may add before the host (`-l user`), then the host itself. */
export function commandWordsFromRshArgs(args: string[]): string[] {
  let i = 0;
  while (i < args.length && args[i].startsWith("-")) i += args[i] === "-l" || args[i] === "-p" ? 2 : 1;
  return args.slice(i + 1);
}

/**
 * Runs the bridge. `argv` = `[socketPath, ...argsFromRsync]`. Resolves with the
 * exit code to exit with (the remote command's, or 255 for bridge failures,
 * like ssh).
 */
export function runRshBridge(argv: string[]): Promise<number> {
  const [socketPath, ...rest] = argv;
  if (!socketPath) {
    process.stderr.write("batou rsh bridge: missing socket path\n");
    return Promise.resolve(255);
  }
  return new Promise((resolve) => {
    let exitCode: number | null = null;
    const socket = connect({ path: socketPath });
    const stdout = process.stdout;
    const stdin = process.stdin;
    const finish = (code: number) => {
      if (exitCode !== null) return;
      exitCode = code;
      stdin.pause();
      stdin.destroy();
      socket.destroy();
      // let stdout drain before the caller exits
      if (stdout.writableLength === 0) resolve(code);
      else stdout.once("drain", () => resolve(code));
    };
    const decoder = new FrameDecoder((type, payload) => {
      if (type === Frame.Stdout) {
        if (!stdout.write(payload)) {
          socket.pause();
          stdout.once("drain", () => socket.resume());
        }
      } else if (type === Frame.Stderr) {
        process.stderr.write(payload);
      } else if (type === Frame.Exit) {
        const info = JSON.parse(payload.toString("utf8")) as { code: number; message?: string };
        if (info.message) process.stderr.write(`batou rsh bridge: ${info.message}\n`);
        finish(info.code);
      }
    });
    socket.on("connect", () => {
      socket.write(encodeFrame(Frame.Header, Buffer.from(JSON.stringify({ args: commandWordsFromRshArgs(rest) }))));
      stdin.on("data", (chunk: Buffer) => {
        if (!socket.write(encodeFrame(Frame.Stdin, chunk))) {
          stdin.pause();
          socket.once("drain", () => stdin.resume());
        }
      });
      stdin.on("end", () => socket.write(encodeFrame(Frame.StdinEof)));
    });
    socket.on("data", (chunk: Buffer) => decoder.push(chunk));
    socket.on("error", (error) => {
      process.stderr.write(`batou rsh bridge: ${socketPath}: ${error.message}\n`);
      finish(255);
    });
    socket.on("close", () => {
      if (exitCode === null) {
        process.stderr.write("batou rsh bridge: connection to batou closed without an exit status\n");
        finish(255);
      }
    });
  });
}

if (import.meta.main) {
  process.exit(await runRshBridge(process.argv.slice(2)));
}
