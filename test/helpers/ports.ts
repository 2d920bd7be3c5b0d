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

/** `n` consecutive ports free for UDP and TCP on 127.0.0.1 (and 127.0.0.2 when asked). */
export async function freePorts(n: number, hosts: string[] = ['127.0.0.1']): Promise<number[]> {
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
    if (ok) return ports;
  }
  throw new Error('no free port block found');
}
