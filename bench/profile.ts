/**
 * Summarises a V8 CPU profile (.cpuprofile, as `node --cpu-prof` or `npm run bench -- --cpu-prof`
 * write them): self time by package or source file, and the top functions.
 *
 *   npx tsx bench/profile.ts FILE.cpuprofile [--top N]
 */
import { readFileSync } from 'node:fs';
import { summariseProfile } from './lib/profile-summary.js';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const topIndex = args.indexOf('--top');
const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 25;
if (!file || !Number.isInteger(top) || top < 1) {
  process.stderr.write('usage: npx tsx bench/profile.ts FILE.cpuprofile [--top N (a whole number >= 1)]\n');
  process.exit(2);
}
process.stdout.write(`${summariseProfile(JSON.parse(readFileSync(file, 'utf8')), top, process.cwd())}\n`);
