/**
 * Free loopback ports for a test: a random block, each port checked free on both UDP
 * and TCP, so tests (and developers' parallel runs) do not collide. Blocks lie below the
 * kernel's ephemeral range (32768+), so an outgoing connection of another process cannot
 * take a port between the check and the bind. scripts/run-tests.js runs files side by side
 * and gives each lane a DSD_TEST_SLOT: its blocks come from that slot's own range, so two
 * files running together never pick the same port in the same moment.
 */
import dgram from 'node:dgram';
import net from 'node:net';

function udpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

function tcpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** `N` numbers as a tuple, so `const [a, b] = await freePorts(2)` types `a` and `b` as numbers. */
type Ports<N extends number, Acc extends number[] = []> = number extends N
  ? number[]
  : Acc['length'] extends N
    ? Acc
    : Ports<N, [...Acc, number]>;

const SLOT_WIDTH = 2500;
const SLOTS = 5; // 20000 … 32499

function portRange(n: number): [number, number] {
  const slot = Number(process.env.DSD_TEST_SLOT);
  if (Number.isInteger(slot) && slot >= 0) {
    const lo = 20000 + (slot % SLOTS) * SLOT_WIDTH;
    return [lo, lo + SLOT_WIDTH - n];
  }
  return [20000, 20000 + SLOTS * SLOT_WIDTH - n];
}

/** `n` consecutive ports free for UDP and TCP on 127.0.0.1 (and 127.0.0.2 when asked). */
export async function freePorts<N extends number>(n: N, hosts: string[] = ['127.0.0.1']): Promise<Ports<N>> {
  const [lo, hi] = portRange(n);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = lo + Math.floor(Math.random() * (hi - lo));
    const ports = Array.from({ length: n }, (_, i) => base + i);
    let ok = true;
    for (const p of ports) {
      for (const h of hosts) {
        if (!(await udpFree(p, h)) || !(await tcpFree(p, h))) {
          ok = false;
          break;
        }
      }
      if (!ok) break;
    }
    // exactly n ports, which is what Ports<N> says
    if (ok) return ports as Ports<N>;
  }
  throw new Error('no free port block found');
}
