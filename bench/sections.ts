import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { writeFileAtomic } from '../src/cli/files.js';

/**
 * BENCHMARKS.md is shared by every benchmark: each owns the text between its
 * markers, so re-running one keeps the others' results.
 */
export function writeSection(path: string, name: string, body: string): void {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  let text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n\nWritten by `npm run bench`; each section is replaced only by its own benchmark.\n';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileAtomic(path, text);
}

/** The machine and date a section was measured on. */
export function machineLine(): string {
  const cpu = cpus();
  return `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpu[0]?.model ?? 'unknown CPU'} (${cpu.length} cores), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.`;
}

/** The Python that runs the PyTorch peers: Debian's, where python3-torch is installed. */
export const PEER_PYTHON = '/usr/bin/python3';

/** The load averages (1, 5, 15 min) with two decimals, as /proc/loadavg prints them. */
export function loadLine(): string {
  return loadavg()
    .map((v) => v.toFixed(2))
    .join(', ');
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
