/**
 * Free loopback ports for a test: a random block, each port checked free on both UDP
 * and TCP, so tests (and developers' parallel runs) do not collide.
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

/** `n` consecutive ports free for UDP and TCP on 127.0.0.1 (and 127.0.0.2 when asked). */
export async function freePorts<N extends number>(n: N, hosts: string[] = ['127.0.0.1']): Promise<Ports<N>> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
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
