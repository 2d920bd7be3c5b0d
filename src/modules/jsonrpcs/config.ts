// jsonrpcs' parameters → what dsd opens. Kamailio's defaults: transport 6 (FIFO and
// datagram), FIFO kamailio_rpc.fifo and socket kamailio_rpc.sock in the runtime directory
// (/run/kamailio, or -Y DIR), mode 0660, replies to FIFOs under /tmp/, pretty printing on.
import * as path from 'node:path';
import type { LoadedModule } from '../../script/modules-load';
import { parseDgramAddress, type DgramAddress } from './dgram';

const KAMAILIO_RUN_DIR = '/run/kamailio';

export interface JsonrpcsConfig {
  readonly pretty: boolean;
  readonly fifo: {
    readonly path: string;
    readonly mode: number;
    readonly user?: string | number;
    readonly group?: string | number;
    readonly replyDir: string;
  } | null;
  readonly dgram: { readonly address: DgramAddress; readonly mode: number } | null;
  readonly maxRequestBytes: number;
  readonly readTimeoutMs: number;
}

export function readJsonrpcsConfig(m: LoadedModule, runtimeDir: string | null): JsonrpcsConfig {
  const p = (n: string) => m.param(n);
  const num = (n: string, d: number): number => (p(n) === undefined ? d : Number(p(n)));
  const transport = num('transport', 6);
  const on = (bit: number): boolean => transport === 0 || (transport & bit) !== 0;
  const inRun = (name: string): string =>
    name.startsWith('/') ? name : path.join(runtimeDir ?? KAMAILIO_RUN_DIR, name);
  const fifoName = String(p('fifo_name') ?? 'kamailio_rpc.fifo');
  const dgramName = String(p('dgram_socket') ?? 'kamailio_rpc.sock');
  const replyDir = String(p('fifo_reply_dir') ?? '/tmp/');
  return {
    pretty: num('pretty_format', 1) !== 0,
    fifo:
      on(2) && fifoName !== ''
        ? {
            path: inRun(fifoName),
            mode: num('fifo_mode', 0o660) || 0o600,
            user: p('fifo_user'),
            group: p('fifo_group'),
            replyDir,
          }
        : null,
    dgram:
      on(4) && dgramName !== ''
        ? {
            address: dgramName.startsWith('udp:')
              ? parseDgramAddress(dgramName)
              : { kind: 'unix', path: inRun(dgramName.replace(/^unix:/, '')) },
            mode: num('dgram_mode', 0o660),
          }
        : null,
    maxRequestBytes: num('max_request_size', 65536),
    readTimeoutMs: num('read_timeout', 5000),
  };
}
