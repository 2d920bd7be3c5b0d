/**
 * acc's tm callbacks (acc_logic.c) over dsd's proxy transactions: a transaction created
 * with an accounting or missed-call flag set is watched; each reply sent upstream is
 * accounted when should_acc_reply says so (2xx with the acc flags; >=300 only with
 * failed_transaction_flag and outside failed_filter; 1xx only with early_media and a
 * body); an INVITE failing with a missed-call flag is reported once as a missed call
 * (the missed flags are then reset, as acc does). The extras are read from the request
 * with the R-URI of the branch whose reply it is.
 */
import type { Val } from '../../script';
import type { RequestContext, RequestTxn } from '../../proxy/context';
import type { TxnObserver, TxnReplyEvent } from '../../proxy/txn-events';
import type { AccParams } from './params';
import type { AccExtraSpec } from './extra';
import { AccExtraValue, AccKind, AccRecord, accLogLine } from './record';
import { errorText } from './reasons';

export interface CompiledExtra {
  readonly name: string;
  readonly get: (ctx: RequestContext) => Val;
}

export function compileExtras(
  specs: readonly AccExtraSpec[],
  compilePv: (text: string) => (ctx: RequestContext) => Val,
): CompiledExtra[] {
  return specs.map((s) => ({ name: s.name, get: compilePv(s.pv) }));
}

export interface AccSinks {
  /** One log record at Kamailio level `level`. */
  log(level: number, line: string, facility: string): void;
  /** One row into `table` (acc or missed_calls); fire and forget, errors are the writer's. */
  db?(table: string, r: AccRecord, extras: readonly AccExtraValue[]): void;
}

const isSet = (flags: number, f: number): boolean => f >= 0 && (flags & (1 << f)) !== 0;

export class AccEngine implements TxnObserver {
  private readonly watched = new WeakSet<RequestTxn>();

  constructor(
    private readonly p: AccParams,
    private readonly logExtra: readonly CompiledExtra[],
    private readonly dbExtra: readonly CompiledExtra[],
    private readonly sinks: AccSinks,
  ) {}

  private accOn(flags: number): boolean {
    return isSet(flags, this.p.logFlag) || isSet(flags, this.p.dbFlag);
  }

  private mcOn(flags: number): boolean {
    return isSet(flags, this.p.logMissedFlag) || isSet(flags, this.p.dbMissedFlag);
  }

  created(txn: RequestTxn): void {
    const ctx = txn.ctx;
    if (ctx.msg.method === 'CANCEL' && !this.p.reportCancels) return;
    if (this.accOn(ctx.flags) || this.mcOn(ctx.flags)) this.watched.add(txn);
  }

  failure(txn: RequestTxn, ev: TxnReplyEvent): void {
    if (this.watched.has(txn) && txn.isInvite && this.mcOn(txn.ctx.flags)) this.missed(txn, ev);
  }

  responseOut(txn: RequestTxn, ev: TxnReplyEvent): void {
    if (!this.watched.has(txn)) return;
    const flags = txn.ctx.flags;
    if (txn.isInvite && ev.code >= 300 && this.mcOn(flags)) this.missed(txn, ev);
    if (!this.shouldAccount(flags, ev)) return;
    this.report(
      txn,
      ev,
      'answered',
      isSet(flags, this.p.logFlag),
      isSet(flags, this.p.dbFlag) ? this.p.tableAcc : null,
    );
  }

  private shouldAccount(flags: number, ev: TxnReplyEvent): boolean {
    if (ev.code >= 300) return isSet(flags, this.p.failedTransactionFlag) && !this.p.failedFilter.has(ev.code);
    if (!this.accOn(flags)) return false;
    if (ev.code < 200) return this.p.earlyMedia && ev.reply !== null && ev.reply.bodyEnd > ev.reply.bodyStart;
    return true;
  }

  private missed(txn: RequestTxn, ev: TxnReplyEvent): void {
    const ctx = txn.ctx;
    const toLog = isSet(ctx.flags, this.p.logMissedFlag);
    const table = isSet(ctx.flags, this.p.dbMissedFlag) ? this.p.tableMissed : null;
    // reported once: the first failure clears the missed-call flags
    let clear = 0;
    if (this.p.logMissedFlag >= 0) clear |= 1 << this.p.logMissedFlag;
    if (this.p.dbMissedFlag >= 0) clear |= 1 << this.p.dbMissedFlag;
    this.report(txn, ev, 'missed', toLog, table, true);
    ctx.flags &= ~clear;
  }

  private report(
    txn: RequestTxn,
    ev: TxnReplyEvent,
    kind: AccKind,
    toLog: boolean,
    table: string | null,
    localToTag = false,
  ): void {
    if (!toLog && table === null) return;
    const ctx = txn.ctx;
    const req = ctx.msg;
    const replyTo = ev.reply?.to ?? null;
    let toTag = (replyTo ?? req.to)?.tag ?? '';
    // missed calls carry the To tag of a locally generated reply (env_set_totag)
    if (toTag === '' && localToTag && ev.reply === null) toTag = txn.server.toTag;
    let reason: string;
    if (ev.reply === null) reason = errorText(ev.code);
    else {
      reason = ev.reply.reason;
      if (this.p.reasonFromHf) {
        const h = ev.reply.get('reason');
        if (h !== null) reason = h;
      }
    }
    const rec: AccRecord = {
      kind,
      method: req.cseq?.method ?? req.method,
      fromTag: req.from?.tag ?? '',
      toTag,
      callId: req.get('call-id') ?? '',
      code: ev.reply !== null ? String(ev.reply.status) : String(ev.code),
      reason,
      time: Math.floor(Date.now() / 1000),
    };
    const saved = ctx.ruri;
    const bruri = ev.branch >= 0 ? txn.branchRuri(ev.branch) : null;
    if (bruri !== null) ctx.ruri = bruri;
    try {
      if (toLog) this.sinks.log(this.p.logLevel, accLogLine(rec, readExtras(this.logExtra, ctx)), this.p.logFacility);
      if (table !== null && this.sinks.db) this.sinks.db(table, rec, readExtras(this.dbExtra, ctx));
    } finally {
      ctx.ruri = saved;
    }
  }
}

function readExtras(extras: readonly CompiledExtra[], ctx: RequestContext): AccExtraValue[] {
  const out: AccExtraValue[] = [];
  for (const e of extras) {
    let v: Val = null;
    try {
      v = e.get(ctx);
    } catch {
      v = null;
    }
    out.push({ name: e.name, value: v === null ? null : String(v) });
  }
  return out;
}
