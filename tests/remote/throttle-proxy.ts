/**
 * A ProxyCommand wrapper for tests: `bun throttle-proxy.ts BYTES_PER_SECOND
 * COMMAND...` runs COMMAND (the test bed's own ProxyCommand) and passes what
 * the client sends at no more than BYTES_PER_SECOND, queueing the rest
 * without limit (the host's answers go through at once): a slow uplink with a
 * deep buffer ("bufferbloat"), where an upload holds up everything sent
 * after it for seconds.
 */
export {};

const [rate, ...command] = process.argv.slice(2);
const slice = Math.max(1, Math.floor(Number(rate) / 20)); // what may pass every 50 ms
const child = Bun.spawn(command, { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
const queue: Uint8Array[] = [];
let ended = false;
void (async () => {
  for await (const chunk of Bun.stdin.stream()) queue.push(chunk);
  ended = true;
})();
void (async () => {
  while (!ended || queue.length) {
    let budget = slice;
    while (budget > 0 && queue.length) {
      const head = queue[0]!;
      const part = head.subarray(0, budget);
      child.stdin.write(part);
      budget -= part.length;
      if (part.length === head.length) queue.shift();
      else queue[0] = head.subarray(part.length);
    }
    await child.stdin.flush();
    await Bun.sleep(50);
  }
  await child.stdin.end();
})();
for await (const chunk of child.stdout) await Bun.write(Bun.stdout, chunk);
process.exit(0);
