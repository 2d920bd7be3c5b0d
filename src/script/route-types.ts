// Which functions may appear in which blocks, over the one RouteType table (core/route-type.ts).

import { RouteType } from '../core/route-type';

export { RouteType };

/** Kamailio's sr_cmd_flags_match(): may a function with `allowed` flags run in a block of type `block`? */
export function routeAllows(allowed: number, block: number): boolean {
  if ((allowed & block) >>> 0 === block >>> 0) return true;
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
