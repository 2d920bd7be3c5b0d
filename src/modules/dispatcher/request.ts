/**
 * What the dispatcher needs to know about the SIP message being routed. The proxy fills
 * these from its own message model; the dispatcher never parses SIP itself (URIs aside).
 */

import { DsSocketRef } from './model';

export interface DsRequestView {
  /** Call-ID header body as received (untrimmed), or null if missing. */
  readonly callId: string | null;
  /** Request method, e.g. "INVITE". */
  readonly method: string;
  /** From URI (name-addr stripped), or null if missing. */
  readonly fromUri: string | null;
  /** To URI, or null if missing. */
  readonly toUri: string | null;
  /** Current R-URI (after any rewrite by the script). */
  readonly ruri: string;
  /**
   * alg 5: the digest `username` USER part (before any '@') from the first
   * Proxy-Authorization that parses, else the first Authorization; null without
   * credentials (round-robin fallback).
   */
  readonly authUsername: string | null;
  /** alg 7: the expanded hash_pvar format, or null when hash_pvar is unset. */
  readonly hashPvarValue: string | null;
  /** True when $du is already set (force_dst=0 then refuses d-uri selects). */
  readonly duIsSet: boolean;
}

/** How a script mark learns where its state came from ($dsv code/reason/flags). */
export interface DsMarkContext {
  /** 'reply' (onreply/failure with a real reply), 'faked' (local timeout reply), 'request', 'none'. */
  readonly kind: 'reply' | 'faked' | 'request' | 'none';
  readonly code?: number;
  readonly reason?: string;
}

/** The transport view ds_is_from_list() matches. */
export interface DsSource {
  /** Source (or probe-URI) address as text; IPv4-mapped IPv6 is accepted. */
  readonly ip: string;
  readonly port: number;
  /** PROTO_* id of the transport. */
  readonly proto: number;
  /** Local socket the message arrived on (mode 8/16 compare it by identity). */
  readonly socket?: DsSocketRef | null;
}

/** ds_load_update() input. */
export interface DsLoadMessage {
  readonly callId: string;
  readonly isRequest: boolean;
  /** Request method (requests). */
  readonly method?: string;
  /** Reply status (replies). */
  readonly status?: number;
  /** CSeq method (replies). */
  readonly cseqMethod?: string;
}
