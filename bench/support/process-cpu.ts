// CPU time of processes and of the whole machine, read from /proc, for benchmarks that bill each
// process (the stages, the ingress, the broker) for the records they carried.
import { readFileSync } from 'node:fs';

/** Busy and total jiffies of the whole machine (/proc/stat), to show how contended a run was. */
export function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - fields[3]! - (fields[4] ?? 0), total };
}

/** utime + stime of a process in seconds (/proc/<pid>/stat fields 14 and 15, 100 ticks/s); 0 once it is gone. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
