/** textops in the cfg language. */
import type { Reg } from '../services';
import { FixupError } from '../../script';
import * as t from './functions';
import { isMethod } from '../siputils/functions';

export function registerTextops(reg: Reg): void {
  reg.registerModule({ name: 'textops' });
  reg.registerFunction({
    name: 'is_method',
    fixup: (args) => {
      const a = args[0];
      if (a?.isStatic && (typeof a.value !== 'string' || a.value.length === 0))
        throw new FixupError('empty method list', 0);
    },
    exec: (ctx, methods: string) => isMethod(ctx, methods),
  });
  reg.registerFunction({ name: 'remove_hf', exec: (ctx, name: string) => t.removeHf(ctx, name) });
  reg.registerFunction({ name: 'is_present_hf', exec: (ctx, name: string) => t.isPresentHf(ctx, name) });
  reg.registerFunction({ name: 'append_hf', exec: (ctx, text: string) => t.appendHf(ctx, text), variants: [['fmt']] });
  reg.registerFunction({
    name: 'has_body',
    variants: [[]],
    exec: (ctx) => (ctx.msg.bodyEnd > ctx.msg.bodyStart ? 1 : -1),
  });
}
