import { readFileSync } from 'node:fs';

// CPU seconds (user + system) a process has used so far, from /proc (Linux): lets a benchmark
// say where the CPU of a run went — this process, the PostgreSQL backends serving it, the broker.

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux we run on

export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined; // not Linux, or the process is gone
  }
}

/** CPU seconds per pid, for the pids that can be read */
export function cpuOf(pids: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const p of pids) {
    const s = processCpuSeconds(p);
    if (s !== undefined) m.set(p, s);
  }
  return m;
}

/** CPU used between two snapshots (a pid absent from `before` started during the interval) */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, s] of after) sum += s - (before.get(pid) ?? 0);
  return sum;
}
