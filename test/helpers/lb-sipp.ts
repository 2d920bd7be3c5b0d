/**
 * sipp scenarios the load-balancing tests write on the fly: the shared UAC with the call
 * held for a while between ACK and BYE, and a UAS answering every INVITE with a fixed
 * failure (OPTIONS keepalives still get 200, so probing calls it alive).
 */
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, UAC_XML } from './sipp';

/** The shared UAC scenario with a pause of `holdMs` between ACK and BYE. */
export function holdingUac(dir: string, holdMs: number): string {
  const xml = fs.readFileSync(UAC_XML, 'utf8');
  const out = xml.replace(/(\s*<send retrans="500">\s*<!\[CDATA\[\s*BYE )/, `\n  <pause milliseconds="${holdMs}"/>$1`);
  if (out === xml) throw new Error('could not find the BYE in the UAC scenario');
  const file = path.join(dir, `uac-hold-${holdMs}.xml`);
  fs.writeFileSync(file, out);
  return file;
}

/** A UAS answering every INVITE with `code` (and OPTIONS with 200). */
export function failingUas(dir: string, code: number, reason: string): string {
  const xml = fs.readFileSync(path.join(FIXTURES, 'sipp', 'uas-500.xml'), 'utf8');
  const out = xml.replace('SIP/2.0 500 Server Internal Error', `SIP/2.0 ${code} ${reason}`).replace('uas answering 500', `uas answering ${code}`);
  const file = path.join(dir, `uas-${code}.xml`);
  fs.writeFileSync(file, out);
  return file;
}
