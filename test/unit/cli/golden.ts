// Reads the captured Kamailio 5.6.3 output in ../shared/golden at test time.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { shared } from '../../helpers/paths';

/** dist/test/unit/cli → repository root → its sibling shared/golden. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const GOLDEN_DIR = shared('golden');

export function goldenText(name: string): string {
  return fs.readFileSync(path.join(GOLDEN_DIR, name), 'utf8');
}

export interface GoldenCall {
  params: unknown[];
  response: { jsonrpc: string; id: number; result?: unknown; error?: { code: number; message: string } };
}

export function goldenJson(): Record<string, GoldenCall[]> {
  return JSON.parse(goldenText('jsonrpc-responses.json')) as Record<string, GoldenCall[]>;
}

export interface KamcmdBlock {
  command: string;
  output: string;
}

/** kamcmd-misc.txt: `$ kamcmd CMD`, the output lines, then `[exit N]`. */
export function kamcmdBlocks(): KamcmdBlock[] {
  const blocks: KamcmdBlock[] = [];
  let cur: KamcmdBlock | undefined;
  for (const line of goldenText('kamcmd-misc.txt').split('\n')) {
    if (line.startsWith('$ kamcmd ')) cur = { command: line.slice('$ kamcmd '.length), output: '' };
    else if (/^\[exit \d+\]$/.test(line)) {
      if (cur) blocks.push(cur);
      cur = undefined;
    } else if (cur) cur.output += line + '\n';
  }
  return blocks;
}

/**
 * The JSON and the kamcmd text of dispatcher.list were captured a few seconds apart, and the
 * keepalive TIMEOUT counter of the dead destination moved in between (23 vs 22). That counter is
 * the only thing normalized; every other byte is compared.
 */
export function normalizeTimeouts(text: string): string {
  return text.replace(/^(\t+TIMEOUT: )\d+$/gm, '$1N');
}
