/** Destination keys shared by the drain, ejection, slow-start and dialog tables. */
import type { Destination } from '../model';

/** (set, URI) as Kamailio compares URIs: case-insensitive. */
export function destKey(setId: number, uri: string): string {
  return `${setId}\u0000${uri.toLowerCase()}`;
}

export function keyOf(d: Destination): string {
  return destKey(d.setId, d.uri);
}
