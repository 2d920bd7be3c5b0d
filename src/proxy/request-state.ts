/**
 * Per-request state of the modules, declared once and typed — fastify's decorateRequest
 * model. A module declares a slot at load time (`declareRequestState<T>('dispatcher.dst')`)
 * and reads and writes it through the request context with its type; a second
 * declaration of the same name is a programming error and throws at start-up.
 */
import { DsdError } from '../core/errors';

/** A typed slot of per-request state. Only declareRequestState makes one. */
export interface RequestSlot<T> {
  readonly name: string;
  readonly index: number;
  /** Carries T for the type checker; never set. */
  readonly __type?: T;
}

const declared: string[] = [];

export function declareRequestState<T>(name: string): RequestSlot<T> {
  if (declared.includes(name)) {
    throw new DsdError('DSD_ERR_DUPLICATE_REQUEST_STATE', `request state "${name}" is declared twice`);
  }
  declared.push(name);
  return { name, index: declared.length - 1 };
}

/** Names declared so far, in declaration order (for diagnostics and tests). */
export function declaredRequestState(): readonly string[] {
  return declared;
}
