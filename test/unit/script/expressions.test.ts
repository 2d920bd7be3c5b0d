import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { compileRoute, errorsOf, MODS, newFakeCtx, run, varAfter } from './helpers';
import { at } from '../../helpers/at';

describe('operators (table-driven)', () => {
  const cases: Array<[string, string | number]> = [
    // arithmetic on 32-bit ints
    ['1 + 2', 3],
    ['7 - 10', -3],
    ['6 * 7', 42],
    ['7 / 2', 3],
    ['-7 / 2', -3],
    ['7 % 3', 1],
    ['7 mod 3', 1],
    ['2147483647 + 1', -2147483648],
    ['5 / 0', 0],
    // bitwise
    ['6 | 1', 7],
    ['6 & 3', 2],
    ['6 ^ 3', 5],
    ['1 << 4', 16],
    ['256 >> 4', 16],
    ['~0', -1],
    // comparison
    ['3 > 2', 1],
    ['3 < 2', 0],
    ['3 >= 3', 1],
    ['2 <= 1', 0],
    ['$var(ten) > 9', 1],
    ['1 == 1', 1],
    ['1 != 1', 0],
    ['"abc" == "abc"', 1],
    ['"abc" == "ABC"', 0],
    ['"a" != "b"', 1],
    // typing: left operand decides
    ['"1" + 2', '12'],
    ['1 + $var(two)', 3],
    ['1 + $var(x)', 1],
    ['"a" + "b"', 'ab'],
    ['1 == $var(one)', 1],
    ['"01" == 1', 0],
    ['1 == $var(zone)', 1],
    ['"0x10" + 0', '0x100'],
    ['0 + $var(hex)', 16],
    ['"abc" eq "abc"', 1],
    ['10 ieq $var(ten)', 1],
    ['"x" ne "y"', 1],
    ['5 ine 5', 0],
    ['$avp(unset) + 1', '1'],
    // logical
    ['1 && 0', 0],
    ['1 and 2', 1],
    ['0 || 3', 1],
    ['0 or 0', 0],
    ['!0', 1],
    ['!5', 0],
    ['not 1', 0],
    ['!(-1)', 0],
    ['-(3)', -3],
    // regex: POSIX ERE, case-insensitive as Kamailio compiles them
    ['"INVITE" =~ "^inv"', 1],
    ['"sip:123@x" =~ "^sip:[[:digit:]]+@"', 1],
    ['"abc" =~ "^b"', 0],
    ['"abc" !~ "^b"', 1],
    // casts and string functions
    ['(int)"42"', 42],
    ['(str)42 + 1', '421'],
    ['strlen("hello")', 5],
    ['strempty("")', 1],
    ['strempty("a")', 0],
    ['selval(1, "yes", "no")', 'yes'],
    ['selval(0, "yes", "no")', 'no'],
    // defined / $null
    ['defined $var(unset)', 1],
    ['$du == $null', 1],
    ['$du != $null', 0],
    ['$ru == $null', 0],
    ['defined $du', 0],
  ];
  for (const [expr, want] of cases) {
    it(`${expr} → ${JSON.stringify(want)}`, () => {
      // string-valued variables defeat Kamailio's load-time type check
      const init =
        '$var(ten) = "10"; $var(two) = "2"; $var(x) = "x"; $var(one) = "1"; $var(zone) = "01"; $var(hex) = "0x10";';
      assert.equal(varAfter(`${init} $var(r) = ${expr};`), want);
    });
  }
});

describe('load-time type checks (rve_check_type)', () => {
  const cases: Array<[string, RegExp]> = [
    ['1 + "x"', /type mismatch: str instead of int/],
    ['1 == "01"', /type mismatch: str instead of int/],
    ['"10" > 9', /type mismatch: str instead of int/],
    ['!"a"', /type mismatch: str instead of int/],
    ['5 =~ "x"', /type mismatch: str instead of int/],
    ['5 eq $var(x)', /type mismatch: int instead of str/],
    ['strlen(5)', /type mismatch: int instead of str/],
  ];
  for (const [expr, re] of cases) {
    it(`refuses $var(r) = ${expr};`, () => {
      const errs = errorsOf(`${MODS}request_route {\n  $var(r) = ${expr};\n}\n`);
      assert.equal(errs.length, 1, errs.map((e) => e.message).join('\n'));
      assert.equal(at(errs, 0).line, 13);
      assert.match(at(errs, 0).detail, re);
    });
  }
  it('reports the position of the offending operand', () => {
    const errs = errorsOf(`${MODS}request_route {\n  $var(r) = 1 + 2 * "x";\n}\n`);
    assert.deepEqual(
      errs.map((e) => e.col),
      [21],
    );
  });
  it('refuses a string condition', () => {
    const errs = errorsOf(`${MODS}request_route {\n  if ("yes") { exit; }\n}\n`);
    assert.deepEqual(
      errs.map((e) => [e.col, e.detail]),
      [[7, 'non-int expression (you might want to use casts)']],
    );
  });
});

describe('operator precedence (cfg.y)', () => {
  const cases: Array<[string, number]> = [
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3], // left associative
    ['2 * 3 % 4', 2],
    ['1 || 0 && 0', 1], // && binds tighter than ||
    ['0 && 1 || 1', 1],
    ['1 == 1 && 2 == 2', 1],
    ['3 > 2 == 1', 1], // > binds tighter than ==
    ['1 | 2 == 2', 1], // == binds tighter than |, as in C
    ['6 & 3 == 3', 0], // 6 & (3 == 3) = 6 & 1 = 0
    ['1 + 1 == 2', 1],
    ['!0 + 1', 2], // unary binds tighter than +
    ['-2 * 3', -6],
    ['1 << 2 + 1', 8], // + binds tighter than <<
    ['2 ^ 3 & 1', 1], // cfg.y: ^ binds tighter than & (unlike C): (2 ^ 3) & 1
    ['1 | 2 & 0', 1], // & tighter than |
    ['"a" + "b" == "ab"', 1],
    ['not 0 and 0', 0],
  ];
  for (const [expr, want] of cases) {
    it(`${expr} = ${want}`, () => assert.equal(varAfter(`$var(r) = ${expr};`), want));
  }
});

describe('old-style keyword comparisons', () => {
  const ctx = () => newFakeCtx({ method: 'INVITE', ruri: 'sip:bob@127.0.0.1:5060', srcIp: '10.1.2.3', srcPort: 5070 });
  const cases: Array<[string, number]> = [
    ['method == "INVITE"', 1],
    ['method == "invite"', 1], // case-insensitive, as comp_str()
    ['method != "BYE"', 1],
    ['method =~ "^inv"', 1],
    ['uri == myself', 1],
    ['myself == uri', 1],
    ['uri != myself', 0],
    ['uri =~ "@127\\.0\\.0\\.1"', 1],
    ['src_ip == 10.1.2.3', 1],
    ['src_ip == 10.0.0.0/8', 1],
    ['src_ip == 192.168.0.0/255.255.0.0', 0],
    ['src_ip != 10.1.2.4', 1],
    ['src_ip == myself', 0],
    ['src_port == 5070', 1],
    ['src_port > 5000', 1],
    ['proto == UDP', 1],
    ['proto == tcp', 0],
    ['is_method("INVITE") && uri == myself', 1],
    ['method == "INVITE" || 0', 1],
  ];
  for (const [expr, want] of cases) {
    it(`${expr} → ${want}`, () => assert.equal(varAfter(`$var(r) = ${expr};`, 'r', ctx()), want));
  }
});

describe('function calls inside expressions', () => {
  it('a call yields 1 when it returned >0, 0 otherwise', () => {
    const ctx = newFakeCtx({ results: { cmp_str: 7, starts_with: -3 } });
    assert.equal(varAfter('$var(r) = cmp_str("a", "b") + starts_with("a", "b");', 'r', ctx), 1);
  });
  it('short-circuit evaluation skips the right side', () => {
    const c = compileRoute(
      'if (is_method("BYE") && cmp_str("x", "y")) { exit; }\nif (is_method("INVITE") || cmp_str("x", "y")) { exit; }',
    );
    const { ctx } = run(c, newFakeCtx({ method: 'INVITE' }));
    assert.deepEqual(ctx.calls, ['is_method(BYE)', 'is_method(INVITE)']);
  });
});
