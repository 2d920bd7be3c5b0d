/**
 * Every module dsd implements, registered into the cfg language's registry: the module
 * folder names are Kamailio's, so `loadmodule "tm.so"` means this tm.
 */
import type { Reg, Services } from '../modules/services';
import { registerTm } from '../modules/tm/script';
import { registerSl } from '../modules/sl/script';
import { registerRr } from '../modules/rr/script';
import { registerMaxfwd } from '../modules/maxfwd/script';
import { registerTextops } from '../modules/textops/script';
import { registerSiputils } from '../modules/siputils/script';
import { registerSanity } from '../modules/sanity/script';
import { registerCtl } from '../modules/ctl/script';
import { registerJsonrpcs } from '../modules/jsonrpcs/script';
import { registerCore } from '../modules/core/script';
import { registerPvs } from '../modules/pv/script';
import { registerDispatcher } from '../modules/dispatcher/script';
import { registerDbModules } from '../modules/db/script';
import { registerAcc } from '../modules/acc/script';
import { DB_PARAMS } from '../modules/dispatcher/db/params';
import { CLUSTER_PARAMS } from '../cluster/params';
import { HEALTH_PARAMS } from '../metrics/params';
import { registerPike } from '../modules/pike/script';
import { registerTls } from '../modules/tls/script';
import { registerXhttp } from '../modules/xhttp/script';
import { registerWebsocket } from '../modules/websocket/script';
import { registerCfgutils } from '../modules/cfgutils/script';

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
  registerCfgutils(reg, svc);
}
