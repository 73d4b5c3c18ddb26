import { expect, test } from "bun:test";
import { commandWordsFromRshArgs } from "./rsh-bridge.ts";
import { encodeFrame, Frame, FrameDecoder } from "./rsh-frames.ts";
import { bridgeCommand } from "./rsh-server.ts";
import { parseRsyncProgress, parseRsyncStats } from "./rsync.ts";

test("rsync --stats parsing (C locale, thousands separators)", () => {
  const text = `
Number of files: 57 (reg: 57, dir: 12)
Number of regular files transferred: 1,234
Total file size: 201,234 bytes
Total bytes sent: 211,923
Total bytes received: 1,064
`;
  expect(parseRsyncStats(text)).toEqual({ bytesSent: 211923, bytesReceived: 1064, filesTransferred: 1234 });
  expect(parseRsyncStats("")).toEqual({ bytesSent: 0, bytesReceived: 0, filesTransferred: 0 });
});

test("rsync --info=progress2 parsing: the last progress of a chunk, with the total it is a percentage of", () => {
  const text = "\n      1,048,576  25%   10.00MB/s    0:00:00\n      2,097,152  50%   10.00MB/s    0:00:00 (xfr#1, to-chk=3/5)\n";
  expect(parseRsyncProgress(text)).toEqual({ bytes: 2097152, total: 4194304 });
  expect(parseRsyncProgress("              0   0%    0.00kB/s    0:00:00")).toEqual({ bytes: 0, total: undefined });
  expect(parseRsyncProgress("sending incremental file list\n")).toBeUndefined();
});

test("the rsh bridge drops rsync's rsh options and the host", () => {
  expect(commandWordsFromRshArgs(["batou-remote", "rsync", "--server", "."])).toEqual(["rsync", "--server", "."]);
  expect(commandWordsFromRshArgs(["-l", "bob", "h", "rsync", "--server"])).toEqual(["rsync", "--server"]);
});

test("frames survive arbitrary chunking", () => {
  const frames: [number, string][] = [];
  const d = new FrameDecoder((t, p) => frames.push([t, p.toString()]));
  const bytes = Buffer.concat([encodeFrame(Frame.Header, Buffer.from("{}")), encodeFrame(Frame.Stdin, Buffer.from("hello")), encodeFrame(Frame.StdinEof)]);
  for (const b of bytes) d.push(Buffer.from([b]));
  expect(frames).toEqual([[Frame.Header, "{}"], [Frame.Stdin, "hello"], [Frame.StdinEof, ""]]);
});

test("from source, the bridge is this runtime running rsh-bridge.ts", () => {
  const [bin, script] = bridgeCommand();
  expect(bin).toBe(process.execPath);
  expect(script).toEndWith("lib/remote/ship/rsh-bridge.ts");
});
