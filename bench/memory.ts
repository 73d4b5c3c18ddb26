/**
 * Agent memory on the hosts (issue 16): the peak resident memory (VmHWM) of
 * the agent on one test host, as it reports it in --debug, for a first deploy
 * and a no-op redeploy of the scenario with 100, 1,000 and 10,000 files.
 */
import type { Testbed } from "../tests/testbed/testbed.ts";
import { deploy, makeProject, wipeKeepExecutable } from "./remote.ts";
import { report } from "./report.ts";

export const MEMORY_FILES = [100, 1000, 10000];

export interface MemoryFigure {
  files: number;
  /** Bytes. */
  first: number;
  noop: number;
}

/** Peaks of the agent on `host` (one run each, after a warm-up that ships the executable and the project). */
export async function benchMemory(exe: string, work: string, tb: Testbed, host: string): Promise<MemoryFigure[]> {
  const figures: MemoryFigure[] = [];
  for (const files of MEMORY_FILES) {
    const project = makeProject(work, tb, [host], files, { name: `memory-${files}` });
    await deploy(exe, project);
    wipeKeepExecutable(tb, [host]);
    const first = (await deploy(exe, project, { debug: true })).peakRss.get(host);
    const noop = (await deploy(exe, project, { debug: true })).peakRss.get(host);
    if (first === undefined || noop === undefined) throw new Error(`the agent on ${host} reported no peak memory (files: ${files})`);
    figures.push({ files, first, noop });
    console.log(`  agent peak memory, ${files} files: first deploy ${(first / 2 ** 20).toFixed(1)} MiB, no-op ${(noop / 2 ** 20).toFixed(1)} MiB`);
  }
  return figures;
}

/** The memory rows (section "memory"), with the goal at 10,000 files. */
export function reportMemory(figures: MemoryFigure[]): void {
  for (const m of figures) {
    report({
      section: "memory",
      scenario: `agent peak memory (VmHWM), ${m.files.toLocaleString("en")} files`,
      value: `first deploy ${(m.first / 2 ** 20).toFixed(1)} MiB, no-op ${(m.noop / 2 ** 20).toFixed(1)} MiB`,
      goal: m.files === 10000 ? "≤ 100 MB" : undefined,
      note: m.files === 10000 ? (Math.max(m.first, m.noop) <= 100e6 ? "met" : "**missed**") : undefined,
    });
  }
}
