/**
 * A ProxyCommand wrapper for tests: `bun stall-proxy.ts MS COMMAND...` runs
 * COMMAND (the test bed's own ProxyCommand) and passes bytes both ways, but
 * holds back what the host sends after its first chunk (the SSH banner) until
 * MS milliseconds after that chunk: a host (or link) that is slow once, during
 * the key exchange, as a loaded host behind a long round trip is.
 */
export {};

const [ms, ...command] = process.argv.slice(2);
const child = Bun.spawn(command, { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
void (async () => {
  for await (const chunk of Bun.stdin.stream()) {
    child.stdin.write(chunk);
    await child.stdin.flush();
  }
  await child.stdin.end();
})();
let first: number | undefined;
for await (const chunk of child.stdout) {
  if (first === undefined) first = Date.now();
  else if (Date.now() < first + Number(ms)) await Bun.sleep(first + Number(ms) - Date.now());
  await Bun.write(Bun.stdout, chunk);
}
process.exit(0);
