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
  const out = xml
    .replace('SIP/2.0 500 Server Internal Error', `SIP/2.0 ${code} ${reason}`)
    .replace('uas answering 500', `uas answering ${code}`);
  const file = path.join(dir, `uas-${code}.xml`);
  fs.writeFileSync(file, out);
  return file;
}

/** A one-transaction UAC: MESSAGE, wait for its final 200 (light load for share counts). */
export function messageUac(dir: string): string {
  const file = path.join(dir, 'uac-message.xml');
  fs.writeFileSync(
    file,
    `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="message through proxy">
  <send retrans="500">
    <![CDATA[
      MESSAGE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 MESSAGE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="200"/>
</scenario>
`,
  );
  return file;
}
