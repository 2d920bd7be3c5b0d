/**
 * Route types with Kamailio's values (core/route.h). One table for both uses: the
 * compiler checks in which blocks a function may appear, and a request context says
 * which route it is running in now (`ctx.routeType`).
 */
export const RouteType = {
  REQUEST: 1 << 0,
  FAILURE: 1 << 1,
  TM_ONREPLY: 1 << 2,
  BRANCH: 1 << 3,
  ONSEND: 1 << 4,
  ERROR: 1 << 5,
  LOCAL: 1 << 6,
  CORE_ONREPLY: 1 << 7,
  BRANCH_FAILURE: 1 << 8,
  ONREPLY: (1 << 2) | (1 << 7),
  ONEVENT: 1 << 9,
  EVENT: (1 << 0) | (1 << 9),
  ANY: 0xffffffff,
} as const;

/** One of the RouteType values (or, for function flags, an OR of them). */
export type RouteTypeBits = number;
