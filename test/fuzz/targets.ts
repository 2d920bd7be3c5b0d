/**
 * What the fuzzer drives: each of dsd's parsers of untrusted text, with the errors it is
 * allowed to throw. Anything else thrown (a TypeError, a RangeError, an error from a
 * getter that should have reported a defect) is a crash.
 */
import { parseMessage, SipParseError } from '../../src/sip/message';
import { parseUri, UriParseError } from '../../src/sip/uri';
import { parseNameAddr } from '../../src/sip/nameaddr';
import { validateRequest, validateResponse } from '../../src/sip/validate';
import { StreamFramer, FramingError } from '../../src/transport/framer';
import { parseListFile } from '../../src/modules/dispatcher/list-file';
import { ListFileError } from '../../src/modules/dispatcher/errors';
import { checkConfigText, createRegistry } from '../../src/script';
import { registerModules } from '../../src/daemon/modules';
import type { RequestContext } from '../../src/proxy/context';
import type { FuzzTarget } from './engine';

const SIP_TOKENS = [
  '\r\n',
  '\r\n\r\n',
  ':',
  ';',
  ',',
  '<',
  '>',
  '"',
  '\\',
  '@',
  '[',
  ']',
  'sip:',
  'sips:',
  'tel:',
  'SIP/2.0',
  'Via: SIP/2.0/UDP ',
  'Via: SIP/2.0/TCP ',
  ';branch=z9hG4bK',
  ';rport',
  ';received=',
  ';maddr=',
  'Content-Length: ',
  'l: ',
  'v: ',
  'f: ',
  't: ',
  'i: ',
  'CSeq: ',
  'Max-Forwards: ',
  'From: ',
  'To: ',
  'Call-ID: ',
  ';tag=',
  ';lr',
  ';transport=tcp',
  '%',
  '%00',
  '::1',
  '0',
  '4294967297',
  '-1',
  ' ',
  '\t',
  'INVITE',
  'ACK',
  'CANCEL',
];

const CFG_TOKENS = [
  '\n',
  '{',
  '}',
  '(',
  ')',
  ';',
  '"',
  "'",
  '#!define ',
  '#!ifdef ',
  '#!ifndef ',
  '#!else',
  '#!endif',
  '#!trydef ',
  '#!substdef ',
  '#!subst ',
  'route[',
  'request_route',
  'failure_route[',
  'onreply_route[',
  'event_route[dispatcher:dst-down]',
  'if (',
  'else',
  'while (',
  'switch (',
  'case ',
  'default:',
  'break;',
  'return',
  'exit;',
  '$var(x)',
  '$avp(a)',
  '$xavp(x=>y)',
  '$ru',
  '$(ru{s.len})',
  '$si',
  '==',
  '!=',
  '=~',
  '&&',
  '||',
  '!',
  '+',
  'loadmodule "',
  'modparam("',
  'listen=',
  'alias=',
  'debug=',
  '/*',
  '*/',
  '#',
  '\\',
  '0x',
  '999999999999',
];

const LIST_TOKENS = [
  '\n',
  '\r\n',
  ' ',
  '\t',
  '#',
  'sip:',
  'sips:',
  ';',
  '=',
  'duid=',
  'weight=',
  'rweight=',
  'socket=',
  'maxload=',
  'ping_from=',
  'obproxy=',
  '1 ',
  '-1',
  '4294967296',
  '[::1]',
  ':5060',
  ';transport=tcp',
];

function expected(e: unknown, ...kinds: Array<new (...a: never[]) => Error>): void {
  if (kinds.some((k) => e instanceof k)) return;
  throw e;
}

/** Reads everything a proxy reads from a message, as the core would. */
function touchMessage(buf: Buffer, datagram: boolean): void {
  let msg;
  try {
    msg = parseMessage(buf, { datagram });
  } catch (e) {
    expected(e, SipParseError);
    return;
  }
  for (const read of [
    () => msg.callId,
    () => msg.vias,
    () => msg.topVia,
    () => msg.cseq,
    () => msg.from,
    () => msg.to,
    () => msg.maxForwards,
    () => msg.body,
    () => msg.wire,
  ]) {
    try {
      read();
    } catch (e) {
      expected(e, SipParseError, UriParseError);
    }
  }
  try {
    if (msg.isRequest) validateRequest(msg);
    else validateResponse(msg);
  } catch (e) {
    expected(e, SipParseError, UriParseError);
  }
}

const latin1 = (b: Buffer): string => b.toString('latin1');

let registry: ReturnType<typeof createRegistry<RequestContext>> | null = null;
function cfgRegistry(): ReturnType<typeof createRegistry<RequestContext>> {
  if (!registry) {
    registry = createRegistry<RequestContext>();
    const log = { error() {}, warn() {}, info() {}, notice() {}, debug() {} } as never;
    registerModules(registry, { core: null, dispatcher: null, log });
  }
  return registry;
}

export const TARGETS: readonly FuzzTarget[] = [
  {
    name: 'sip',
    maxLen: 4096,
    dictionary: SIP_TOKENS,
    run: (b) => {
      touchMessage(b, true);
      touchMessage(b, false);
    },
  },
  {
    name: 'uri',
    maxLen: 512,
    dictionary: SIP_TOKENS,
    run: (b) => {
      parseUri(latin1(b));
    },
  },
  {
    name: 'via',
    maxLen: 1024,
    dictionary: SIP_TOKENS,
    run: (b) =>
      touchMessage(
        Buffer.concat([
          Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: '),
          b,
          Buffer.from(
            '\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
          ),
        ]),
        true,
      ),
  },
  {
    name: 'name-addr',
    maxLen: 512,
    dictionary: SIP_TOKENS,
    run: (b) => {
      parseNameAddr(latin1(b));
    },
  },
  {
    name: 'framer',
    maxLen: 4096,
    dictionary: SIP_TOKENS,
    run: (b) => {
      const f = new StreamFramer(1024);
      try {
        for (let i = 0; i < b.length; i += 7) f.push(b.subarray(i, i + 7));
      } catch (e) {
        expected(e, FramingError);
      }
    },
  },
  {
    name: 'cfg',
    maxLen: 4096,
    dictionary: CFG_TOKENS,
    run: (b) => {
      const text = latin1(b);
      // reading other files (include_file "/dev/zero") is not the parser's business
      if (/include|import/i.test(text)) return;
      checkConfigText(text, '/nonexistent/dsd-fuzz/dsd.cfg', cfgRegistry());
    },
  },
  {
    name: 'list',
    maxLen: 4096,
    dictionary: LIST_TOKENS,
    run: (b) => {
      try {
        parseListFile(latin1(b), 'dispatcher.list');
      } catch (e) {
        expected(e, ListFileError);
      }
    },
  },
];
