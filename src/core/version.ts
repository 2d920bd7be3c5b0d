/** dsd's version, from package.json (read once at start). */
export const VERSION: string = (require('../../../package.json') as { version: string }).version;
