/**
 * Who and what runs here: the current user by uid, whether a pid is alive and
 * when it started (to tell a reused pid from the process that held a lock or
 * wrote a temporary file).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";

/** Field 22 of /proc/PID/stat (start time in clock ticks); undefined off Linux. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Whether process `pid` exists (one of another user counts: EPERM). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The user this process runs as (by uid: /etc/passwd, since $USER may be unset or stale under sudo). */
export function currentUser(): string {
  const uid = process.getuid?.();
  if (uid !== undefined) {
    try {
      for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
        const fields = line.split(":");
        if (fields[2] === String(uid)) return fields[0]!;
      }
    } catch {}
  }
  try {
    const name = userInfo().username;
    if (name && name !== "unknown") return name;
  } catch {}
  return process.env.USER ?? process.env.LOGNAME ?? String(uid ?? "?");
}
