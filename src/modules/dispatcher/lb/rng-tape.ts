/**
 * A replayable random source: dispatcher.explain records the draws its dry selection
 * makes and puts them back, so the next real selection draws the same numbers and the
 * explained pick of algorithm 6 (random) is the pick the next request gets.
 */
import type { DsRng } from '../rng';

export class RngTape {
  private queue: number[] = [];
  private recording: number[] | null = null;
  readonly rng: DsRng;

  constructor(private readonly base: DsRng) {
    this.rng = () => this.draw();
  }

  private draw(): number {
    const v = this.queue.length > 0 ? this.queue.shift()! : this.base();
    if (this.recording !== null) this.recording.push(v);
    return v;
  }

  /** Runs `f`; every number it draws is drawn again, in order, by whatever comes next. */
  replayAfter<T>(f: () => T): T {
    const prev = this.recording;
    const rec: number[] = [];
    this.recording = rec;
    try {
      return f();
    } finally {
      this.recording = prev;
      this.queue = rec.concat(this.queue);
      if (prev !== null) prev.push(...rec);
    }
  }
}
