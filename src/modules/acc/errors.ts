/** A bad acc modparam or extra definition; refused at start like Kamailio's mod_init. */
import { DsdError } from '../../core/errors';
export class AccError extends DsdError {
  constructor(message: string) {
    super('DSD_ERR_ACC_PARAM', message);
  }
}
