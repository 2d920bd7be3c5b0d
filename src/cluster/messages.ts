/**
 * The events nodes exchange over PostgreSQL NOTIFY: one JSON object per payload,
 *
 *   {"v":1,"origin":"node-a","instance":"3f…","seq":7,"kind":"set_state",
 *    "args":{"state":"ip","group":1,"address":"sip:10.0.0.1:5060"}}
 *
 * Kinds: reload, add, remove, set_state, set_duid_state, and dsd's drain, drain_duid,
 * undrain, undrain_duid (an older node logs those as unknown and ignores them).
 *
 * `instance` is random per process, so a node ignores its own notifications (LISTEN on
 * the publishing session delivers them too) even when two nodes were given one name.
 * Payloads stay far below PostgreSQL's 8000-byte NOTIFY limit (a URI is at most 192 bytes
 * in the table, attrs 128; dispatcher.add from the RPC may be longer and is refused here).
 * A receiver that does not know a kind (an older node) logs the notification and ignores it.
 */
import { DsdError } from '../core/errors';

export interface ClusterEventArgs {
  reload: Record<string, never>;
  add: { group: number; address: string; flags: number; priority: number; attrs: string | null };
  remove: { group: number; address: string };
  set_state: { state: string; group: number; address: string };
  set_duid_state: { state: string; group: number; duid: string };
  /** dsd's drain (address may be `all`); the nodes' dsd_drain rows go with it. */
  drain: { group: number; address: string };
  drain_duid: { group: number; duid: string };
  undrain: { group: number; address: string };
  undrain_duid: { group: number; duid: string };
  /** group null: every set; target null: the whole set (a URI or a duid otherwise). */
  clear_overrides: { group: number | null; target: string | null };
}

export type ClusterEventKind = keyof ClusterEventArgs;

const CLUSTER_EVENT_KINDS: readonly ClusterEventKind[] = [
  'reload',
  'add',
  'remove',
  'set_state',
  'set_duid_state',
  'drain',
  'drain_duid',
  'undrain',
  'undrain_duid',
  'clear_overrides',
];

export interface ClusterMessage<K extends ClusterEventKind = ClusterEventKind> {
  readonly v: 1;
  /** Node name of the sender. */
  readonly origin: string;
  /** Random id of the sending process. */
  readonly instance: string;
  /** Per-instance counter (for logs). */
  readonly seq: number;
  readonly kind: K;
  readonly args: ClusterEventArgs[K];
}

/** Largest payload PostgreSQL accepts for NOTIFY is 7999 bytes. */
const MAX_PAYLOAD_BYTES = 7999;

export class ClusterMessageError extends DsdError {
  constructor(message: string) {
    super('DSD_ERR_CLUSTER_MESSAGE', message);
  }
}

export function encodeMessage(m: ClusterMessage): string {
  const s = JSON.stringify(m);
  if (Buffer.byteLength(s) > MAX_PAYLOAD_BYTES) {
    throw new ClusterMessageError(
      `cluster event ${m.kind} is ${Buffer.byteLength(s)} bytes, over the ${MAX_PAYLOAD_BYTES}-byte NOTIFY limit`,
    );
  }
  return s;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/** Checks args for a kind; returns the reason when they do not fit. */
function checkArgs(kind: ClusterEventKind, a: Record<string, unknown>): string | null {
  switch (kind) {
    case 'reload':
      return null;
    case 'add':
      return isInt(a.group) &&
        isStr(a.address) &&
        isInt(a.flags) &&
        isInt(a.priority) &&
        (a.attrs === null || isStr(a.attrs))
        ? null
        : 'add needs {group:int, address:str, flags:int, priority:int, attrs:str|null}';
    case 'remove':
      return isInt(a.group) && isStr(a.address) ? null : 'remove needs {group:int, address:str}';
    case 'set_state':
      return isStr(a.state) && isInt(a.group) && isStr(a.address)
        ? null
        : 'set_state needs {state:str, group:int, address:str}';
    case 'set_duid_state':
      return isStr(a.state) && isInt(a.group) && isStr(a.duid)
        ? null
        : 'set_duid_state needs {state:str, group:int, duid:str}';
    case 'drain':
    case 'undrain':
      return isInt(a.group) && isStr(a.address) ? null : `${kind} needs {group:int, address:str}`;
    case 'drain_duid':
    case 'undrain_duid':
      return isInt(a.group) && isStr(a.duid) ? null : `${kind} needs {group:int, duid:str}`;
    case 'clear_overrides':
      return (a.group === null || isInt(a.group)) && (a.target === null || (isStr(a.target) && a.group !== null))
        ? null
        : 'clear_overrides needs {group:int|null, target:str|null} (a target only with a group)';
  }
}

/** Parses and validates a payload; throws ClusterMessageError saying what is wrong. */
export function decodeMessage(payload: string): ClusterMessage {
  let m: unknown;
  try {
    m = JSON.parse(payload);
  } catch {
    throw new ClusterMessageError(`not JSON: ${payload.slice(0, 80)}`);
  }
  const o = m as Record<string, unknown>;
  if (o === null || typeof o !== 'object' || o.v !== 1) throw new ClusterMessageError('not a version 1 cluster event');
  if (!isStr(o.origin) || !isStr(o.instance) || !isInt(o.seq))
    throw new ClusterMessageError('origin, instance or seq missing');
  if (!isStr(o.kind) || !(CLUSTER_EVENT_KINDS as readonly string[]).includes(o.kind)) {
    throw new ClusterMessageError(`unknown event kind ${String(o.kind)}`);
  }
  const args = o.args as Record<string, unknown>;
  if (args === null || typeof args !== 'object') throw new ClusterMessageError('args missing');
  const why = checkArgs(o.kind as ClusterEventKind, args);
  if (why !== null) throw new ClusterMessageError(why);
  return o as unknown as ClusterMessage;
}
