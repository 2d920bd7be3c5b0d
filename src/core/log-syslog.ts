/**
 * Log lines to syslog (`log_stderror=no`, Kamailio's default), as RFC 5424 messages on the
 * local syslog socket (/dev/log) with `log_facility` and `log_name`.
 *
 * Node cannot send on a Unix datagram socket (its dgram module has no AF_UNIX) and every npm
 * package that can is a native addon, so dsd hands the lines to util-linux's `logger`
 * (always present on Debian: package bsdutils) over a pipe: `logger --prio-prefix` reads
 * `<PRI>text` per line and sends each as one datagram with that facility and severity. The
 * message is the pino JSON line without the fields the syslog header already carries.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface SyslogTarget {
  /** The syslog socket: /dev/log unless $DSD_SYSLOG_SOCKET says otherwise. */
  readonly socket: string;
  /** log_facility: LOG_DAEMON, LOG_LOCAL0…7, … */
  readonly facility: string;
  /** log_name: the APP-NAME of every message. */
  readonly name: string;
}

const FACILITY_CODES: Readonly<Record<string, number>> = {
  LOG_KERN: 0,
  LOG_USER: 1,
  LOG_MAIL: 2,
  LOG_DAEMON: 3,
  LOG_AUTH: 4,
  LOG_SYSLOG: 5,
  LOG_LPR: 6,
  LOG_NEWS: 7,
  LOG_UUCP: 8,
  LOG_CRON: 9,
  LOG_AUTHPRIV: 10,
  LOG_FTP: 11,
  LOG_LOCAL0: 16,
  LOG_LOCAL1: 17,
  LOG_LOCAL2: 18,
  LOG_LOCAL3: 19,
  LOG_LOCAL4: 20,
  LOG_LOCAL5: 21,
  LOG_LOCAL6: 22,
  LOG_LOCAL7: 23,
};

/** pino level label → syslog severity (RFC 5424 §6.2.1). */
const SEVERITY: Readonly<Record<string, number>> = {
  fatal: 2,
  error: 3,
  warn: 4,
  notice: 5,
  info: 6,
  debug: 7,
  trace: 7,
};

function facilityCode(name: string): number {
  return FACILITY_CODES[name.toUpperCase()] ?? FACILITY_CODES.LOG_DAEMON!;
}

/** `<PRI>` + the JSON line without time, level, pid and name (the syslog header has them). */
function syslogLine(jsonLine: string, facility: number): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return `<${facility * 8 + 6}>${jsonLine.trim()}\n`;
  }
  const sev = SEVERITY[String(o.level)] ?? 6;
  const { level: _l, time: _t, pid: _p, name: _n, hostname: _h, ...rest } = o;
  return `<${facility * 8 + sev}>${JSON.stringify(rest)}\n`;
}

export class SyslogStream {
  private child: ChildProcess | null = null;
  private lastSpawn = 0;
  private readonly facility: number;

  constructor(private readonly target: SyslogTarget) {
    this.facility = facilityCode(target.facility);
    this.spawn();
  }

  private spawn(): void {
    this.lastSpawn = Date.now();
    const child = spawn(
      'logger',
      [
        '--prio-prefix',
        '--rfc5424=notq',
        '--socket-errors=off',
        '-u',
        this.target.socket,
        '-t',
        this.target.name,
        `--id=${process.pid}`,
      ],
      { stdio: ['pipe', 'ignore', 'inherit'] },
    );
    child.on('error', (e) => {
      process.stderr.write(`dsd: syslog: cannot run logger (util-linux): ${e.message}\n`);
      if (this.child === child) this.child = null;
    });
    child.on('exit', () => {
      if (this.child === child) this.child = null;
    });
    child.stdin!.on('error', () => undefined);
    this.child = child;
  }

  write(line: string): void {
    // A logger that died is restarted, at most once a second; meanwhile lines go to stderr.
    if (!this.child && Date.now() - this.lastSpawn > 1000) this.spawn();
    const stdin = this.child?.stdin;
    if (stdin && stdin.writable) stdin.write(syslogLine(line, this.facility));
    else process.stderr.write(line);
  }

  /** Ends logger's input and waits for it to send what it has (at most 2 s). */
  close(): Promise<void> {
    const child = this.child;
    this.child = null;
    this.lastSpawn = Number.MAX_SAFE_INTEGER;
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        child.kill();
        resolve();
      }, 2000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.stdin!.end();
    });
  }
}
