// Preloaded with `node --import` when /usr/bin/time is missing: at exit, writes this process's
// peak resident set size (KiB, process.resourceUsage().maxRSS) to $BLAT_BENCH_RSS_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.BLAT_BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, `${process.resourceUsage().maxRSS}\n`));
