/**
 * Round trips (issue 16): the scenario's no-op and first deploy behind the
 * harness's delayproxy (every byte delayed by RTT/2 each way, order kept),
 * at 0, 50 and 100 ms RTT, for both SSH clients, beside a parallel `ssh
 * HOST true` to the same hosts; the round trips each needs are
 * (time at RTT − time at 0) / RTT. Python batou's figures at the same RTTs
 * come from bench-peers (peers.ts, `delayMs`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SshClient } from "../lib/engine/environment-schema.ts";
import type { Testbed } from "../tests/testbed/testbed.ts";
import { benchPeers, HARNESS, type PeerResults } from "./peers.ts";
import { deploy, FILES, makeProject, parallelSshTrue, wipeKeepExecutable } from "./remote.ts";
import { measure, type Summary, summarize } from "./stats.ts";

export const RTTS = [0, 50, 100];

/** The test bed's ssh_config with every ProxyCommand behind delayproxy (none at 0 ms). */
export function delayedConfig(tb: Testbed, rttMs: number): string {
  const config = readFileSync(tb.sshConfig, "utf8");
  return rttMs === 0 ? config : config.replaceAll("ProxyCommand nsenter", `ProxyCommand ${join(HARNESS, "delayproxy")} ${rttMs / 2} nsenter`);
}

/** One series: a label and its median at each RTT. */
export interface RttSeries {
  label: string;
  /** RTT (ms) → summary. */
  at: Map<number, Summary>;
}

/** The round trips a series needs at `rtt`: (t(rtt) − t(0)) / rtt. */
export function roundTrips(series: RttSeries, rtt: number): number | undefined {
  const zero = series.at.get(0)?.median;
  const at = series.at.get(rtt)?.median;
  return zero === undefined || at === undefined || rtt === 0 ? undefined : (at - zero) / (rtt / 1000);
}

/** Ours (no-op and first deploy, per client) and parallel `ssh true` at each RTT. */
export async function benchRtt(exe: string, work: string, tb: Testbed, hosts: string[], runs: number, clients: readonly SshClient[], rtts = RTTS): Promise<RttSeries[]> {
  const series = new Map<string, RttSeries>();
  const add = (label: string, rtt: number, summary: Summary) => {
    const entry = series.get(label) ?? { label, at: new Map() };
    entry.at.set(rtt, summary);
    series.set(label, entry);
    console.log(`  ${label} at ${rtt} ms RTT: ${summary.median.toFixed(3)} s (min ${summary.min.toFixed(3)}, max ${summary.max.toFixed(3)})`);
  };
  for (const rtt of rtts) {
    const config = join(work, `ssh_config_rtt${rtt}`);
    writeFileSync(config, delayedConfig(tb, rtt));
    add("parallel `ssh HOST true`", rtt, await parallelSshTrue(config, hosts, runs));
    for (const client of clients) {
      const project = makeProject(work, tb, hosts, undefined, { client, sshConfig: delayedConfig(tb, rtt), name: `rtt${rtt}-${client}` });
      await deploy(exe, project); // warm-up: the executable is there, the project shipped
      const first: number[] = [];
      for (let i = 0; i < runs; i++) {
        wipeKeepExecutable(tb, hosts);
        first.push((await deploy(exe, project)).seconds);
      }
      add(`ours (${client}): first deploy`, rtt, summarize(first));
      const noop = await measure(runs, async () => void (await deploy(exe, project)));
      add(`ours (${client}): no-op redeploy`, rtt, summarize(noop));
    }
  }
  return [...series.values()];
}

/** The Markdown table of the series: the median at each RTT and the round trips they cost. */
export function rttTable(all: RttSeries[], rtts = RTTS): string {
  const ms = (s?: Summary) => (s ? `${s.median.toFixed(3)} s` : "–");
  const delayed = rtts.filter((rtt) => rtt > 0);
  const trips = (s: RttSeries, rtt: number) => roundTrips(s, rtt)?.toFixed(1) ?? "–";
  const ssh = all.find((s) => s.label.startsWith("parallel"));
  const more = (s: RttSeries, rtt: number) => {
    const mine = s.at.get(rtt)?.median;
    const theirs = ssh?.at.get(rtt)?.median;
    return !ssh || s === ssh || mine === undefined || theirs === undefined ? "" : ((mine - theirs) / (rtt / 1000)).toFixed(1);
  };
  const lines = all.map((s) => `| ${s.label} | ${rtts.map((rtt) => ms(s.at.get(rtt))).join(" | ")} | ${delayed.map((rtt) => trips(s, rtt)).join(" | ")} | ${delayed.map((rtt) => more(s, rtt)).join(" | ")} |`);
  return [
    `| | ${rtts.map((rtt) => `${rtt} ms`).join(" | ")} | ${delayed.map((rtt) => `round trips at ${rtt} ms`).join(" | ")} | ${delayed.map((rtt) => `time more than \`ssh true\` at ${rtt} ms (in RTTs)`).join(" | ")} |`,
    `|---|${rtts.map(() => "---|").join("")}${delayed.map(() => "---|---|").join("")}`,
    ...lines,
    "",
  ].join("\n");
}

/** Whether the round-trip goals are met, in words (the no-op: ≤ 1 more than ssh true; the first deploy: ≤ 2). */
export function rttVerdicts(all: RttSeries[], rtt = 100): string {
  const ssh = all.find((s) => s.label.startsWith("parallel"));
  if (!ssh) return "";
  const lines: string[] = [];
  for (const s of all.filter((x) => x.label.startsWith("ours"))) {
    const limit = s.label.endsWith("no-op redeploy") ? 1 : 2;
    const theirs = ssh.at.get(rtt)?.median;
    const mine = s.at.get(rtt)?.median;
    if (theirs === undefined || mine === undefined) continue;
    const more = (mine - theirs) / (rtt / 1000);
    const own = roundTrips(s, rtt);
    const sshOwn = roundTrips(ssh, rtt);
    const trips = own !== undefined && sshOwn !== undefined ? own - sshOwn : undefined;
    lines.push(
      `* ${s.label} at ${rtt} ms RTT: ${mine.toFixed(3)} s, ${more.toFixed(1)} RTTs of time more than \`ssh true\` (goal ≤ ${limit}: ${more <= limit + 0.3 ? "met" : "**missed**"});` +
        ` round trips (t(${rtt}) − t(0)) / RTT: ${own?.toFixed(1) ?? "?"}, \`ssh true\` ${sshOwn?.toFixed(1) ?? "?"}: ${trips?.toFixed(1) ?? "?"} more (goal ≤ ${limit}: ${trips !== undefined && trips <= limit + 0.3 ? "met" : "**missed**"}).`,
    );
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}

/**
 * Python batou (bench-peers) at each RTT: its figures at 0 ms as given (the
 * peers' run without delay), the others measured behind delayproxy.
 */
export async function batouAtRtts(work: string, runs: number, atZero: PeerResults["figures"] | undefined, skip: (note: string) => void, rtts = RTTS): Promise<RttSeries[]> {
  const first: RttSeries = { label: "Python batou: first deploy", at: new Map() };
  const noop: RttSeries = { label: "Python batou: no-op redeploy", at: new Map() };
  const add = (figures: PeerResults["figures"], at: number) => {
    const f = figures.get("batou-first-deploy");
    const n = figures.get("batou-noop-redeploy");
    if (f) first.at.set(at, f);
    if (n) noop.at.set(at, n);
  };
  for (const at of rtts) {
    const figures = at === 0 && atZero ? { figures: atZero, notes: [] } : await benchPeers(work, ["batou"], runs, 0, 5, FILES, at);
    for (const note of figures.notes) skip(`Python batou at ${at} ms RTT: ${note}`);
    add(figures.figures, at);
  }
  return [first, noop];
}
