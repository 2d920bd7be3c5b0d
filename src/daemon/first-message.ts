import type { Logger } from '../core/log';
import type { FirstMessageTap } from '../proxy/core';
import type { Source } from '../transport/types';

/**
 * The "first SIP message read" line: the core tells it once (ProxyCore.firstTap, set when
 * the engine is built); since() starts the clock the line counts from, when reading begins.
 */
export class FirstMessageLog implements FirstMessageTap {
  private t0 = 0;
  private who = 'dsd';

  constructor(private readonly log: Logger) {}

  /** Reading begins now, for `who` ('dsd', 'worker N'). */
  since(who: string): void {
    this.who = who;
    this.t0 = performance.now();
  }

  firstMessage(src: Source, steered: boolean): void {
    this.log.info(
      `${this.who}: first SIP message read (${src.proto} from ${src.ip}:${src.port}${steered ? ', handed over by the reading worker' : ''}), ` +
        `${Math.round(performance.now() - this.t0)} ms after reading began`,
    );
  }
}
