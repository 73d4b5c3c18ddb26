/**
 * The tiny framing spoken over the unix socket between the rsh bridge (which
 * rsync runs as its "remote shell") and the batou process that owns the SSH
 * connection. Each frame: 1 byte type, 4 bytes big-endian length, payload.
 *
 * Framing both directions (instead of raw bytes) carries stdin EOF, stderr and
 * the remote exit status without relying on half-closed unix sockets.
 *
 * @module
 */

/** Frame types. */
export const Frame = {
  /** bridge → batou: JSON `{ args: string[] }`, the command rsync asked its rsh to run. */
  Header: 1,
  /** bridge → batou: bytes for the remote command's stdin. */
  Stdin: 2,
  /** bridge → batou: stdin reached EOF. */
  StdinEof: 3,
  /** batou → bridge: bytes of the remote stdout. */
  Stdout: 4,
  /** batou → bridge: bytes of the remote stderr. */
  Stderr: 5,
  /** batou → bridge: JSON `{ code: number, message?: string }`; the last frame. */
  Exit: 6,
} as const;

/** Encodes one frame. */
export function encodeFrame(type: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const b = Buffer.allocUnsafe(5 + payload.length);
  b[0] = type;
  b.writeUInt32BE(payload.length, 1);
  b.set(payload, 5);
  return b;
}

/** Incremental frame decoder: feed chunks, get complete frames via the callback. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (type: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 5) {
      const len = this.pending.readUInt32BE(1);
      if (this.pending.length < 5 + len) break;
      const type = this.pending[0];
      const payload = this.pending.subarray(5, 5 + len);
      this.pending = this.pending.subarray(5 + len);
      this.onFrame(type, payload);
    }
  }
}
