// The fish completion script for dsctl (see completion-common.ts).
import { COMMANDS, STATE_VALUES } from '../../rpc-api/commands';
import {
  GLOBAL_OPTS,
  HEADER,
  LIST_MODES,
  VALUE_OPTS,
  argCompletion,
  optionsOf,
  shq,
  spellingPairs,
  topics,
} from './completion-common';

export function fishCompletion(): string {
  const cmdLines = COMMANDS.map((c) => `    printf '%s\\t%s\\n' ${c.name} ${shq(c.summary)}`).join('\n');
  const verbCases = topics()
    .map((t) => {
      const verbs = spellingPairs()
        .filter(([s]) => s.startsWith(t + ' '))
        .map(([s]) => s.slice(t.length + 1));
      return `        case ${t}\n            printf '%s\\n' ${verbs.join(' ')}`;
    })
    .join('\n');
  const aliasCases = spellingPairs()
    .map(([s, n]) => `        case ${shq(s)}\n            set cmd ${n}`)
    .join('\n');
  const argCases = COMMANDS.filter((c) => c.params.length)
    .map((c) => {
      const lines = c.params.map((p, i) => {
        const a = argCompletion(c, p);
        if (a.kind === 'none') return '';
        const group = a.groupIndex >= 0 && a.groupIndex < i ? `"$args[${a.groupIndex + 1}]"` : "''";
        const test = p.variadic ? `test $n -ge ${i + 1}` : `test $n -eq ${i + 1}`;
        return `            ${test}; and __dsctl_fill ${a.kind} ${shq(a.words.join(' '))} ${group}`;
      });
      const body = lines.filter(Boolean).join('\n');
      return body ? `        case ${c.name}\n${body}` : '';
    })
    .filter(Boolean)
    .join('\n');
  const optCases = COMMANDS.map(
    (c) => `        case ${c.name}\n            printf '%s\\n' ${optionsOf(c).join(' ')}`,
  ).join('\n');
  return `# fish completion for dsctl. ${HEADER}
# Install: copy to ~/.config/fish/completions/dsctl.fish (or /usr/share/fish/vendor_completions.d/).

function __dsctl_daemon
    set -l tokens (commandline -opc)
    set -l bin $tokens[1]
    set -l sockopt
    set -l i 2
    while test $i -le (count $tokens)
        if contains -- $tokens[$i] -s --socket
            set i (math $i + 1)
            set sockopt -s $tokens[$i]
        end
        set i (math $i + 1)
    end
    $bin __complete $argv $sockopt 2>/dev/null
end

function __dsctl_fill
    switch $argv[1]
        case state
            printf '%s\\n' ${STATE_VALUES.join(' ')}
        case listmode
            printf '%s\\n' ${LIST_MODES.join(' ')}
        case setid
            __dsctl_daemon setids
        case uri
            __dsctl_daemon uris $argv[3]
        case duid
            __dsctl_daemon duids $argv[3]
        case method
            __dsctl_daemon methods
    end
    test -n "$argv[2]"; and printf '%s\\n' (string split ' ' -- $argv[2])
end

function __dsctl_candidates
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l pos
    set -l i 2
    while test $i -le (count $tokens)
        set -l w $tokens[$i]
        if contains -- $w ${VALUE_OPTS.join(' ')}
            set i (math $i + 1)
        else if not string match -q -- '-*' $w
            set -a pos $w
        end
        set i (math $i + 1)
    end
    if contains -- "$tokens[-1]" ${VALUE_OPTS.join(' ')}
        contains -- "$tokens[-1]" -s --socket; and __fish_complete_path $cur
        return
    end
    if test (count $pos) -eq 0
        if string match -q -- '-*' $cur
            printf '%s\\n' ${GLOBAL_OPTS.join(' ')}
            return
        end
${cmdLines}
        printf '%s\\tkamcli spelling\\n' ${topics().join(' ')}
        return
    end
    set -l cmd $pos[1]
    set -l args $pos[2..-1]
    if contains -- $cmd ${topics().join(' ')}
        if test (count $pos) -eq 1
            switch $cmd
${verbCases}
            end
            return
        end
        switch "$pos[1] $pos[2]"
${aliasCases}
        end
        set args $pos[3..-1]
    end
    if string match -q -- '-*' $cur
        switch $cmd
${optCases}
        end
        return
    end
    set -l n (math (count $args) + 1)
    switch $cmd
${argCases}
    end
end

complete -c dsctl -f -a '(__dsctl_candidates)'
`;
}
