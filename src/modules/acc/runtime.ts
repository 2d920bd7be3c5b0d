/**
 * acc at run time: the transaction observer (engine), the log sink and, with db_url, the
 * DB writer; and the script functions acc_log_request / acc_db_request / acc_request,
 * which account the current request at once with a "code reason" comment.
 */
import type { Logger } from '../../core/log';
import type { RequestContext } from '../../proxy/context';
import type { Val } from '../../script';
import { AccEngine, CompiledExtra, compileExtras } from './engine';
import { AccDbWriter } from './db-writer';
import type { AccParams } from './params';
import { AccRecord, accLogLine, ACC_TEXT } from './record';

/** Kamailio's log level number to dsd's logger. */
function logAt(log: Logger, level: number, line: string): void {
  if (level <= -1) log.error(line);
  else if (level === 0) log.warn(line);
  else if (level <= 2) log.info(line);
  else log.debug(line);
}

export class AccRuntime {
  readonly engine: AccEngine;
  private readonly logExtra: CompiledExtra[];
  private readonly dbExtra: CompiledExtra[];

  private constructor(
    readonly params: AccParams,
    private readonly log: Logger,
    compilePv: (t: string) => (ctx: RequestContext) => Val,
    readonly writer: AccDbWriter | null,
  ) {
    this.logExtra = compileExtras(params.logExtra, compilePv);
    this.dbExtra = compileExtras(params.dbExtra, compilePv);
    this.engine = new AccEngine(params, this.logExtra, this.dbExtra, {
      log: (level, line) => logAt(log, level, line),
      db: writer ? (table, r, extras) => writer.insert(table, r, extras) : undefined,
    });
  }

  /** Compiles the extras (throws on a bad pseudo-variable) and connects the DB writer when db_url is set. */
  static async start(
    params: AccParams,
    log: Logger,
    compilePv: (t: string) => (ctx: RequestContext) => Val,
  ): Promise<AccRuntime> {
    const writer =
      params.dbUrl !== null && (params.dbFlag >= 0 || params.dbMissedFlag >= 0) ? new AccDbWriter(params, log) : null;
    const rt = new AccRuntime(params, log, compilePv, writer);
    await writer?.open();
    return rt;
  }

  /** The warm-up's acc: the same code over `log` (which discards), no database. */
  static detached(params: AccParams, log: Logger, compilePv: (t: string) => (ctx: RequestContext) => Val): AccRuntime {
    return new AccRuntime(params, log, compilePv, null);
  }

  /**
   * acc_log_request / acc_db_request: the request itself, with the comment's leading
   * three digits as the code ("403 Forbidden"), the rest as the reason.
   */
  request(ctx: RequestContext, comment: string, target: { log: boolean; table: string | null }): number {
    const m = /^(\d{3})\s*/.exec(comment);
    const req = ctx.msg;
    const rec: AccRecord = {
      kind: 'request',
      method: req.cseq?.method ?? req.method,
      fromTag: req.from?.tag ?? '',
      toTag: req.to?.tag ?? '',
      callId: req.get('call-id') ?? '',
      code: m?.[1] ?? '',
      reason: m ? comment.slice(m[0].length) : comment,
      time: Math.floor(Date.now() / 1000),
    };
    const read = (xs: CompiledExtra[]) =>
      xs.map((e) => {
        let v: Val = null;
        try {
          v = e.get(ctx);
        } catch {
          v = null;
        }
        return { name: e.name, value: v === null ? null : String(v) };
      });
    if (target.log) logAt(this.log, this.params.logLevel, accLogLine(rec, read(this.logExtra), ACC_TEXT.request));
    if (target.table !== null) {
      if (!this.writer) return -1;
      this.writer.insert(target.table, rec, read(this.dbExtra));
    }
    return 1;
  }

  async close(): Promise<void> {
    await this.writer?.close();
  }
}
