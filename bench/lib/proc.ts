/**
 * CPU time of this process's other descendants (dynalite runs in its own child process, tsx may
 * start an esbuild service), read from /proc on Linux; elsewhere nothing is counted.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS = 100;

interface ProcEntry {
  ppid: number;
  ticks: number;
  comm: string;
}

/** Build tools, not services: esbuild's service process (tsx's and the bench's bundling). */
const NOT_SERVICES = new Set(['esbuild']);

function table(): Map<number, ProcEntry> {
  const out = new Map<number, ProcEntry>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ..." – comm may hold spaces and parentheses: fields start after the last ')'.
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
      out.set(Number(name), {
        ppid: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
        comm,
      });
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** CPU ticks per descendant of `root`, leaving out `exclude`, build tools, and their descendants. */
export function descendantTicks(root: number, exclude?: number): Map<number, number> {
  const procs = table();
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  const out = new Map<number, number>();
  const stack = [...(children.get(root) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (pid === exclude || NOT_SERVICES.has(procs.get(pid)?.comm ?? '')) continue;
    out.set(pid, procs.get(pid)?.ticks ?? 0);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU seconds the descendants used between two snapshots (processes in both, or new in `after`). */
export function cpuSecondsBetween(before: Map<number, number>, after: Map<number, number>): number {
  let ticks = 0;
  for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
  return Math.round((ticks / TICKS) * 100) / 100;
}

/** Peak resident memory (VmHWM) per descendant of `root` still running, in MB. */
export function descendantPeakRssMb(
  root: number,
): Array<{ pid: number; command: string; peakRssMb: number }> {
  const out: Array<{ pid: number; command: string; peakRssMb: number }> = [];
  for (const pid of descendantTicks(root).keys()) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .slice(-4)
        .join(' ');
      if (hwm) out.push({ pid, command, peakRssMb: Math.round(Number(hwm[1]) / 102.4) / 10 });
    } catch {
      // ended meanwhile
    }
  }
  return out;
}
