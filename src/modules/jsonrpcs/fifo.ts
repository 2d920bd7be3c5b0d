// jsonrpcs' FIFO transport: dsd creates the FIFO (mkfifo, fifo_mode, fifo_user/group),
// reads JSON documents from it, runs each and writes the reply into the FIFO the request
// names in `reply_name` under fifo_reply_dir (default /tmp/) — the convention kamctl and
// kamcli follow. The reply FIFO gets Kamailio's checks: a bare name (no '.', '/', '\'), a
// real FIFO, not a link, opened without blocking (a client that is gone is given up after
// a few tries). A document left unfinished for read_timeout is dropped.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { DocFramer } from './doc-framer';
import { DsdError } from '../../core/errors';
import { fileOwnerCred } from '../../control/peer-cred';
import type { CallerOf } from './exec';

interface FifoLogger {
  debug(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface FifoOptions {
  readonly path: string;
  readonly mode: number;
  readonly user?: string | number;
  readonly group?: string | number;
  readonly replyDir: string;
  readonly maxRequestBytes: number;
  readonly readTimeoutMs: number;
  /** Runs one document; returns the reply text and the reply FIFO name, or null for no reply. */
  readonly exec: (doc: string, callerOf: CallerOf) => Promise<{ reply: string | null; replyName?: string }>;
  readonly log: FifoLogger;
}

class FifoSetupError extends DsdError {
  constructor(message: string) {
    super('DSD_ERR_JSONRPC_FIFO', message);
  }
}

function resolveId(kind: 'user' | 'group', v: string | number | undefined): number {
  if (v === undefined) return -1;
  if (typeof v === 'number' || /^\d+$/.test(v)) return Number(v);
  try {
    const line = execFileSync('getent', [kind === 'user' ? 'passwd' : 'group', v], { encoding: 'utf8' });
    return Number(line.split(':')[2]);
  } catch {
    throw new FifoSetupError(`jsonrpcs: fifo_${kind} "${v}" does not exist`);
  }
}

const REPLY_RETRIES = 4;

/** Kamailio's check: a bare name under fifo_reply_dir. */
const validReplyName = (name: string): boolean => name !== '' && !/[./\\]/.test(name) && name.length <= 127;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class JsonrpcFifo {
  private readFd = -1;
  private keepFd = -1;
  private stream: net.Socket | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readTimer: NodeJS.Timeout | undefined;
  private ino = -1;

  constructor(private readonly o: FifoOptions) {}

  start(): void {
    const p = this.o.path;
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(p);
    } catch {
      /* absent */
    }
    if (st && !st.isFIFO()) throw new FifoSetupError(`jsonrpcs: ${p} exists and is not a FIFO; refusing to replace it`);
    if (st) fs.unlinkSync(p);
    try {
      fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o755 });
      execFileSync('mkfifo', ['-m', (this.o.mode & 0o777).toString(8), p], { stdio: ['ignore', 'ignore', 'pipe'] });
      fs.chmodSync(p, this.o.mode & 0o777);
      const uid = resolveId('user', this.o.user);
      const gid = resolveId('group', this.o.group);
      if (uid !== -1 || gid !== -1) fs.chownSync(p, uid, gid);
      if (!fs.statSync(this.o.replyDir).isDirectory())
        throw new Error(`fifo_reply_dir ${this.o.replyDir} is not a directory`);
      // Non-blocking open, then a writer of our own so the reader never sees end-of-file.
      this.readFd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      this.keepFd = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
      this.ino = fs.fstatSync(this.readFd).ino;
    } catch (e) {
      if (e instanceof FifoSetupError) throw e;
      throw new FifoSetupError(`jsonrpcs: cannot create FIFO ${p}: ${(e as Error).message}`);
    }
    const framer = new DocFramer(this.o.maxRequestBytes);
    const stream = new net.Socket({ fd: this.readFd, readable: true, writable: false });
    this.stream = stream;
    stream.on('data', (chunk: Buffer) => {
      for (const ev of framer.push(chunk)) {
        if (ev.kind === 'oversized') {
          this.o.log.warn(
            `jsonrpcs: FIFO request of ${ev.bytes} bytes over the ${this.o.maxRequestBytes} byte limit dropped`,
          );
          continue;
        }
        const doc = ev.text;
        this.queue = this.queue
          .then(() => this.handle(doc))
          .catch((e) => this.o.log.error(`jsonrpcs: FIFO request failed: ${(e as Error).message}`));
      }
      clearTimeout(this.readTimer);
      if (framer.pending) {
        this.readTimer = setTimeout(() => {
          this.o.log.warn(`jsonrpcs: unfinished FIFO request dropped after ${this.o.readTimeoutMs} ms`);
          framer.reset();
        }, this.o.readTimeoutMs);
        this.readTimer.unref();
      }
    });
    stream.on('error', (e) => this.o.log.error(`jsonrpcs: FIFO read error: ${e.message}`));
  }

  /** Nothing names a FIFO's writer: the reply FIFO's owner is who will read the answer (a claim). */
  private readonly callerOf: CallerOf = (name) => ({
    transport: 'jsonrpcs-fifo',
    endpoint: this.o.path,
    ...(name !== undefined && validReplyName(name)
      ? { peer: () => fileOwnerCred(path.join(this.o.replyDir, name), 'fifo') }
      : { noPeer: 'the request names no valid reply FIFO' }),
  });

  private async handle(doc: string): Promise<void> {
    const r = await this.o.exec(doc, this.callerOf);
    if (r.reply === null) {
      this.o.log.warn('jsonrpcs: FIFO request is not a JSON document; no reply');
      return;
    }
    const name = r.replyName;
    if (name === undefined) {
      this.o.log.warn('jsonrpcs: FIFO request without reply_name; no reply');
      return;
    }
    if (!validReplyName(name)) {
      this.o.log.warn(`jsonrpcs: forbidden reply fifo name "${name}"`);
      return;
    }
    await this.writeReply(path.join(this.o.replyDir, name), r.reply);
  }

  private async writeReply(file: string, text: string): Promise<void> {
    let fd = -1;
    for (let i = 0; ; i++) {
      try {
        fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENXIO' && i < REPLY_RETRIES) {
          await sleep(80);
          continue;
        }
        this.o.log.warn(
          `jsonrpcs: cannot open reply fifo ${file}: ${code === 'ENXIO' ? 'no reader' : (e as Error).message}`,
        );
        return;
      }
    }
    try {
      const fst = fs.fstatSync(fd);
      const lst = fs.lstatSync(file);
      if (!fst.isFIFO() || fst.nlink > 1 || lst.isSymbolicLink() || lst.ino !== fst.ino || lst.dev !== fst.dev) {
        this.o.log.warn(`jsonrpcs: reply fifo ${file} failed the security checks`);
        fs.closeSync(fd);
        return;
      }
    } catch (e) {
      this.o.log.warn(`jsonrpcs: reply fifo ${file}: ${(e as Error).message}`);
      fs.closeSync(fd);
      return;
    }
    await new Promise<void>((resolve) => {
      const out = new net.Socket({ fd, readable: false, writable: true });
      const done = (): void => resolve();
      out.once('error', (e) => {
        this.o.log.warn(`jsonrpcs: writing reply fifo ${file}: ${e.message}`);
        out.destroy();
        done();
      });
      out.end(text, done);
    });
  }

  close(): void {
    clearTimeout(this.readTimer);
    this.stream?.destroy();
    if (this.keepFd >= 0) fs.closeSync(this.keepFd);
    this.keepFd = -1;
    try {
      if (fs.lstatSync(this.o.path).ino === this.ino) fs.unlinkSync(this.o.path);
    } catch {
      /* gone */
    }
  }
}
