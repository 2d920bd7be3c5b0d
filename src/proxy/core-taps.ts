/**
 * What a ProxyCore tells or asks of its owner beside the script's routes (hooks.ts): each
 * an object with a method, set as a field of the core, not a closure, so that the warm-up's
 * cores and the real one call the same function (daemon/warmup-engine.ts).
 */
import type { SipMessage } from '../sip/message';
import type { Source } from '../transport/types';
import type { BranchFinal } from './proxy-txn';

/** Who is told of the first message a core receives (ProxyCore.firstTap). */
export interface FirstMessageTap {
  firstMessage(src: Source, steered: boolean): void;
}

/** Who watches every branch's final outcome (ProxyCore.branchTap). */
export interface BranchTap {
  branchFinal(b: BranchFinal): void;
}

/**
 * Decides, after the parse, whether another worker owns a message (workers/steering.ts);
 * true means it was handed over and this worker is done with it.
 */
export interface CoreSteer {
  steer(msg: SipMessage, buf: Buffer, src: Source): boolean;
}
