/**
 * Free loopback ports for a benchmark run: a random block, each port checked free on UDP
 * and TCP (mirrors test/helpers/ports.ts, kept separate so the bench does not depend on
 * test code).
 */
import dgram from 'node:dgram';
import net from 'node:net';

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** `N` numbers as a tuple, so `const [a, b] = await freePorts(2)` types `a` and `b` as numbers. */
type Ports<N extends number, Acc extends number[] = []> = number extends N
  ? number[]
  : Acc['length'] extends N
    ? Acc
    : Ports<N, [...Acc, number]>;

/** `n` consecutive ports free on 127.0.0.1 for both UDP and TCP. */
export async function freePorts<N extends number>(n: N): Promise<Ports<N>> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // below the kernel's ephemeral range (32768 up): a port free now is never then handed
    // to a socket bound to port 0 (dsd's workers bind their hand-off sockets so) before
    // sipp binds it (the likely cause of a cold-start run in session 21 whose sipp made no call)
    const base = 20000 + Math.floor(Math.random() * (12_000 - n));
    const ports = Array.from({ length: n }, (_, i) => base + i);
    let ok = true;
    for (const p of ports) {
      if (!(await udpFree(p)) || !(await tcpFree(p))) {
        ok = false;
        break;
      }
    }
    // exactly n ports, which is what Ports<N> says
    if (ok) return ports as Ports<N>;
  }
  throw new Error('no free block of loopback ports found');
}
