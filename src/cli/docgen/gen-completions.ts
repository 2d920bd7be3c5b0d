// node dist/src/cli/docgen/gen-completions.js [--check]: regenerates completions/dsctl.bash,
// completions/_dsctl (zsh) and completions/dsctl.fish from the command table.
import { bashCompletion } from './completion-bash';
import { fishCompletion } from './completion-fish';
import { zshCompletion } from './completion-zsh';
import { runGenerator } from './outputs';

export function completionFiles(): Record<string, string> {
  return {
    'completions/dsctl.bash': bashCompletion(),
    'completions/_dsctl': zshCompletion(),
    'completions/dsctl.fish': fishCompletion(),
  };
}

if (require.main === module)
  process.exitCode = runGenerator('gen-completions', completionFiles(), process.argv.slice(2));
