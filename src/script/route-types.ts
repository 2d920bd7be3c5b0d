// Route-type bits, with Kamailio's values (core/route.h), used to say in which
// blocks a function may appear.

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

/** Kamailio's sr_cmd_flags_match(): may a function with `allowed` flags run in a block of type `block`? */
export function routeAllows(allowed: number, block: number): boolean {
  if (((allowed & block) >>> 0) === (block >>> 0)) return true;
  return block === RouteType.EVENT && (allowed & RouteType.EVENT) !== 0;
}

export function routeTypeName(block: number): string {
  switch (block) {
    case RouteType.REQUEST:
      return 'request_route/route';
    case RouteType.FAILURE:
      return 'failure_route';
    case RouteType.TM_ONREPLY:
      return 'onreply_route[name]';
    case RouteType.CORE_ONREPLY:
      return 'onreply_route';
    case RouteType.BRANCH:
      return 'branch_route';
    case RouteType.ONSEND:
      return 'onsend_route';
    case RouteType.EVENT:
      return 'event_route';
    default:
      return `route type ${block}`;
  }
}
