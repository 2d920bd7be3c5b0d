/**
 * sipp scenarios the load-balancing tests write on the fly: the shared UAC with the call
 * held for a while between ACK and BYE, and a UAS answering every INVITE with a fixed
 * failure (OPTIONS keepalives still get 200, so probing calls it alive).
 */
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, UAC_XML } from './sipp';

/** A scenario file name for `what` with these extra headers (one file per variant). */
function variantFile(dir: string, what: string, headers: readonly string[]): string {
  const tag = headers.length ? `-${headers.join('-').replace(/[^A-Za-z0-9]+/g, '_')}` : '';
  return path.join(dir, `${what}${tag}.xml`);
}

/**
 * The shared UAC scenario with a pause of `holdMs` between ACK and BYE, and `headers`
 * (e.g. `X-Alg: 10`) added to its INVITE.
 */
export function holdingUac(dir: string, holdMs: number, headers: readonly string[] = []): string {
  const xml = fs.readFileSync(UAC_XML, 'utf8');
  let out = xml.replace(/(\s*<send retrans="500">\s*<!\[CDATA\[\s*BYE )/, `\n  <pause milliseconds="${holdMs}"/>$1`);
  if (out === xml) throw new Error('could not find the BYE in the UAC scenario');
  if (headers.length) {
    const withHeaders = out.replace(
      /(\n(\s*)Max-Forwards: 70\n)/,
      (_m, line: string, ind: string) => line + headers.map((h) => `${ind}${h}\n`).join(''),
    );
    if (withHeaders === out) throw new Error('could not find Max-Forwards in the UAC scenario');
    out = withHeaders;
  }
  const file = variantFile(dir, `uac-hold-${holdMs}`, headers);
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

/** A one-transaction UAC: MESSAGE (with `headers`), wait for its final 200 (light load for share counts). */
export function messageUac(dir: string, headers: readonly string[] = []): string {
  const file = variantFile(dir, 'uac-message', headers);
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
${headers.map((h) => `      ${h}\n`).join('')}      Content-Length: 0

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="200"/>
</scenario>
`,
  );
  return file;
}
