/**
 * Address resolution happens on the host the component is configured for:
 * the agent on host1 resolves names with host1's resolver (the test bed's
 * hosts know each other by name in their own /etc/hosts), while the deploying
 * machine, checking the remote model first, leaves such names alone.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runInHost, startTestbed, type Testbed, testbedAvailability } from "../testbed/testbed.ts";
import { deploy, makeProject, type Project } from "./remote-helpers.ts";

const bed = testbedAvailability();

const COMPONENT = `import { Address, attribute, Component, File } from "batou";
export class Peer extends Component {
  address = attribute(Address, { defaultText: "host2:8080" });
  configure() {
    this.add(new File("peer.txt", { content: \`\${this.address} \${this.address.listen?.host}\\n\` }));
  }
}
`;

describe.skipIf(!bed.ok)("Address over SSH", () => {
  let tb: Testbed;
  const projects: Project[] = [];
  beforeAll(async () => {
    tb = await startTestbed(2);
  }, 60_000);
  afterAll(() => projects.forEach((p) => p.remove()));

  test("the agent resolves with its host's resolver; [resolver] pins win", async () => {
    // host2 is known to host1 (its /etc/hosts), not to the deploying machine.
    const expected = runInHost("host1", "getent", "ahostsv4", "host2").stdout.split(/\s+/)[0];
    expect(Bun.spawnSync(["getent", "ahostsv4", "host2"]).exitCode).not.toBe(0);
    expect(expected).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const target = `addr-${process.pid}`;
    const p = makeProject(tb, {
      "components/peer/component.ts": COMPONENT,
      "environments/dev.toml": `[environment]\ntarget_directory = "${target}"\ntimeout = 20\n[hosts.host1]\ncomponents = ["peer"]\n`,
    });
    projects.push(p);
    const first = await deploy(p, "dev");
    expect(first.errors).toEqual([]);
    expect(first.code).toBe(0);
    const file = join(tb.roots.host1!, "home", "deploy", target, "work", "peer", "peer.txt");
    expect(readFileSync(file, "utf8")).toBe(`host2:8080 ${expected}\n`);

    p.write("environments/dev.toml", `[environment]\ntarget_directory = "${target}"\ntimeout = 20\n[hosts.host1]\ncomponents = ["peer"]\n[resolver]\nhost2 = "192.0.2.7"\n`);
    const pinned = await deploy(p, "dev");
    expect(pinned.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("host2:8080 192.0.2.7\n");
  }, 120_000);

  test("a name the host cannot resolve is an error from that host, naming the name", async () => {
    const p = makeProject(tb, {
      "components/peer/component.ts": COMPONENT,
      "environments/dev.toml": `[environment]\ntarget_directory = "addr-bad-${process.pid}"\ntimeout = 20\n[hosts.host1]\ncomponents = ["peer"]\n[components.peer]\naddress = "nowhere.invalid:80"\n`,
    });
    projects.push(p);
    const result = await deploy(p, "dev");
    expect(result.code).toBe(1);
    const error = result.errors.find((e) => String(e.message).includes("nowhere.invalid"));
    expect(error?.message).toMatch(/^cannot resolve "nowhere.invalid" to an IPv4 address/);
    expect(error?.context?.host).toBe("host1");
    // The deploying machine's check passed (it connected): the host's agent found the error.
    expect(result.events.some((e) => e.event === "host" && e.host === "host1" && e.status === "connected")).toBe(true);
  }, 120_000);
});
