/**
 * A syslog daemon stand-in: a Unix datagram socket bound by a small python3 process (Node
 * cannot bind AF_UNIX datagram sockets), printing each datagram it receives as one line
 * (newlines inside a message escaped). Stopped in the test's finally.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
while True:
    d = s.recv(65536)
    sys.stdout.write(d.decode("utf-8", "replace").replace("\\n", "\\\\n") + "\\n")
    sys.stdout.flush()
`;

export interface SyslogReceiver {
  readonly path: string;
  /** Every datagram received so far, one per entry. */
  messages(): string[];
  waitFor(pred: (m: string) => boolean, ms?: number): Promise<string>;
  stop(): Promise<void>;
}

export async function startSyslogReceiver(socketPath: string): Promise<SyslogReceiver> {
  const proc: ChildProcess = spawn('python3', ['-c', RECEIVER, socketPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const lines = (): string[] => out.split('\n').slice(0, -1);
  const r: SyslogReceiver = {
    path: socketPath,
    messages: () => lines().filter((l) => l !== 'ready'),
    async waitFor(pred, ms = 30_000) {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const hit = r.messages().find(pred);
        if (hit !== undefined) return hit;
        await new Promise((res) => setTimeout(res, 25));
      }
      throw new Error(`no matching syslog message within ${ms} ms; got:\n${r.messages().join('\n')}\n${err}`);
    },
    async stop() {
      if (proc.exitCode === null) proc.kill();
      await exited;
    },
  };
  const until = Date.now() + 10_000;
  while (!lines().includes('ready')) {
    if (proc.exitCode !== null || Date.now() > until) {
      await r.stop();
      throw new Error(`syslog receiver did not start: ${err}`);
    }
    await new Promise((res) => setTimeout(res, 20));
  }
  return r;
}
