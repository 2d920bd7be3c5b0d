/**
 * Every module dsd implements, registered into the cfg language's registry: the module
 * folder names are Kamailio's, so `loadmodule "tm.so"` means this tm.
 */
import type { Reg, Services } from './services';
import { registerTm } from './tm/script';
import { registerSl } from './sl/script';
import { registerRr } from './rr/script';
import { registerMaxfwd } from './maxfwd/script';
import { registerTextops } from './textops/script';
import { registerSiputils } from './siputils/script';
import { registerSanity } from './sanity/script';
import { registerCtl } from './ctl/script';
import { registerJsonrpcs } from './jsonrpcs/script';
import { registerCore } from './core/script';
import { registerPvs } from './pv/script';
import { registerDispatcher } from './dispatcher/script';
import { registerDbModules } from '../db/script-modules';
import { registerAcc } from './acc/script';
import { DB_PARAMS } from '../db/params';
import { CLUSTER_PARAMS } from '../cluster/params';
import { HEALTH_PARAMS } from '../metrics/params';
import { registerPike } from './pike/script';
import { registerTls } from './tls/script';
import { registerXhttp } from './xhttp/script';
import { registerWebsocket } from './websocket/script';

export function registerModules(reg: Reg, svc: Services): void {
  registerCore(reg, svc);
  registerPvs(reg, svc);
  registerTm(reg, svc);
  registerSl(reg, svc);
  registerRr(reg, svc);
  registerMaxfwd(reg);
  registerTextops(reg);
  registerSiputils(reg);
  registerSanity(reg);
  registerCtl(reg);
  registerJsonrpcs(reg);
  registerDispatcher(reg, svc, [HEALTH_PARAMS, DB_PARAMS, CLUSTER_PARAMS]);
  registerDbModules(reg);
  registerAcc(reg, svc);
  registerPike(reg, svc);
  registerTls(reg);
  registerXhttp(reg, svc);
  registerWebsocket(reg, svc);
}
