/**
 * CPU time of processes on this machine, for benchmarks that count the work of every process of a
 * deployment: `/proc/PID/stat`'s utime + stime (fields 14 and 15, in clock ticks of `getconf
 * CLK_TCK`, proc(5)). Linux only: elsewhere the figures read 0.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let tick = 0;

/** Clock ticks per second (`getconf CLK_TCK`; 100 when it cannot be asked). */
function clockTick(): number {
  if (tick === 0) {
    try {
      tick = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      tick = 100;
    }
  }
  return tick;
}

/** CPU seconds (user + system) process `pid` has used so far; 0 when it cannot be read. */
export function processCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the parenthesised command name start at the 3rd (state): utime is the 14th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTick();
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) this process has used so far. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
