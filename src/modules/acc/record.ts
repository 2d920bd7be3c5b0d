/**
 * One accounting record as acc's core2strar + extra2strar make it: the six core
 * attributes (method, from tag, to tag, Call-ID, code, reason), the time, and the extras
 * read from the request. And the text of its log line (acc_log_request).
 */

export type AccKind = 'answered' | 'missed' | 'request' | 'acked';

/** The line prefixes of acc.h. */
export const ACC_TEXT: Readonly<Record<AccKind, string>> = {
  request: 'ACC: request accounted: ',
  missed: 'ACC: call missed: ',
  answered: 'ACC: transaction answered: ',
  acked: 'ACC: request acknowledged: ',
};

export interface AccExtraValue {
  readonly name: string;
  /** null: the pseudo-variable was $null (logged as empty, stored as '' or NULL). */
  readonly value: string | null;
}

export interface AccRecord {
  readonly kind: AccKind;
  readonly method: string;
  readonly fromTag: string;
  readonly toTag: string;
  readonly callId: string;
  /** The status code as text (the reply's own digits, or the local code). */
  readonly code: string;
  readonly reason: string;
  /** Unix time, seconds. */
  readonly time: number;
}

/** `ACC: transaction answered: timestamp=…;method=…;…;extra=…` without a line end. */
export function accLogLine(r: AccRecord, extras: readonly AccExtraValue[], text = ACC_TEXT[r.kind]): string {
  let s = `${text}timestamp=${r.time};method=${r.method};from_tag=${r.fromTag};to_tag=${r.toTag};call_id=${r.callId};code=${r.code};reason=${r.reason}`;
  for (const e of extras) s += `;${e.name}=${e.value ?? ''}`;
  return s;
}
