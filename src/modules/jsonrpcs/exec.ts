// One jsonrpcs request, as Kamailio's jsonrpc_exec_ex() runs it: parse the document, check
// `jsonrpc: "2.0"` and `method`, run the method from the control socket's registry, and
// build the reply object {jsonrpc, result|error, id} printed the srjson way. Kamailio's own
// error texts: "Method Not Found" (500), the -32xxx codes' fixed messages, and the method's
// code and message otherwise. Where Kamailio answers a malformed request with an empty
// result, dsd answers -32600 "Invalid Request".
import type { CallerInfo, MethodRegistry } from '../../control/registry';
import { printJson } from './format';

const FIXED_MESSAGES: Readonly<Record<number, string>> = {
  [-32700]: 'Parse Error',
  [-32600]: 'Invalid Request',
  [-32601]: 'Method Not Found',
  [-32602]: 'Invalid Parameters',
  [-32603]: 'Internal Error',
  [-32000]: 'Execution Error',
};

export interface ExecOptions {
  readonly pretty: boolean;
  /** FIFO requests name their reply FIFO in `reply_name`. */
  readonly wantReplyName: boolean;
  /** Maps a thrown error to its fault (undefined: internal error). */
  readonly faultOf: (err: unknown) => { code: number; message: string } | undefined;
  readonly onInternalError?: (err: unknown, method: string) => void;
}

export interface ExecResult {
  /** The printed reply; null when the text is not a JSON document (Kamailio sends nothing). */
  readonly reply: string | null;
  /** FIFO: the reply FIFO's name as the request gave it (checked by the caller). */
  readonly replyName?: string;
}

function idOf(id: unknown): unknown {
  if (id === undefined) return undefined;
  if (typeof id === 'string' || typeof id === 'number') return id;
  return 0; // srjson reads a non-string id as a number: null/true/false print as 0
}

/** Who sent a request, for the audit line; FIFO requests name their reply FIFO. */
export type CallerOf = (replyName: string | undefined) => CallerInfo;

export async function execJsonrpc(
  text: string,
  registry: MethodRegistry,
  o: ExecOptions,
  callerOf?: CallerOf,
): Promise<ExecResult> {
  let req: unknown;
  try {
    req = JSON.parse(text);
  } catch {
    return { reply: null };
  }
  const obj = req !== null && typeof req === 'object' && !Array.isArray(req) ? (req as Record<string, unknown>) : {};
  const id = idOf(obj.id);
  const reply = (body: { result: unknown } | { error: { code: number; message: string } }): string => {
    const out: Record<string, unknown> = { jsonrpc: '2.0', ...body };
    if (id !== undefined) out.id = id;
    return printJson(out, o.pretty);
  };
  const fault = (code: number, message: string): string => {
    const c = code === 0 ? -32000 : code;
    return reply({ error: { code: c, message: FIXED_MESSAGES[c] ?? (message || 'Unexpected Error') } });
  };
  const replyName = o.wantReplyName && typeof obj.reply_name === 'string' ? obj.reply_name : undefined;
  if (obj.jsonrpc !== '2.0') return { reply: fault(-32600, ''), replyName };
  if (o.wantReplyName && replyName === undefined) return { reply: fault(-32600, ''), replyName };
  const method = obj.method;
  if (typeof method !== 'string') return { reply: fault(-32600, ''), replyName };
  if (!registry.has(method)) return { reply: fault(500, 'Method Not Found'), replyName };
  const params = obj.params;
  if (params !== undefined && (params === null || typeof params !== 'object'))
    return { reply: fault(-32600, ''), replyName };
  try {
    const result = await registry.invoke(method, params, callerOf?.(replyName));
    // a method that adds nothing: srjson's empty result object
    return { reply: reply({ result: result === null || result === undefined ? {} : result }), replyName };
  } catch (err) {
    const f = o.faultOf(err);
    if (!f) o.onInternalError?.(err, method);
    return { reply: fault(f?.code ?? 500, f?.message ?? 'Internal Error'), replyName };
  }
}
