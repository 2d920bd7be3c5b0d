/** A bad acc modparam or extra definition; refused at start like Kamailio's mod_init. */
export class AccError extends Error {
  readonly code = 'ACC_ERR_PARAM';
  constructor(message: string) {
    super(message);
    this.name = 'AccError';
  }
}
