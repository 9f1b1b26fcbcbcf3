// An ssh ProxyCommand that delays both directions of a TCP connection by the same time: a
// network's latency without its bandwidth limit, on 127.0.0.1 (bench/run.mjs --rtt).
//   node bench/delay-proxy.mjs HOST PORT ONE_WAY_DELAY_MS
// Chunks keep their order: timers of one duration fire in the order they were set.
import { connect } from 'node:net';

const [host, port, delay] = process.argv.slice(2);
const ms = Number(delay);
if (!host || !Number.isInteger(Number(port)) || !Number.isFinite(ms) || ms < 0) {
  process.stderr.write('usage: node bench/delay-proxy.mjs HOST PORT ONE_WAY_DELAY_MS\n');
  process.exit(2);
}
const socket = connect(Number(port), host);
socket.on('error', (e) => {
  process.stderr.write(`delay-proxy: ${e.message}\n`);
  process.exit(1);
});
process.stdin.on('data', (chunk) => setTimeout(() => socket.write(chunk), ms));
process.stdin.on('end', () => setTimeout(() => socket.end(), ms));
socket.on('data', (chunk) => setTimeout(() => process.stdout.write(chunk), ms));
socket.on('end', () => setTimeout(() => process.stdout.end(), ms));
socket.on('close', () => setTimeout(() => process.exit(0), ms + 10));
