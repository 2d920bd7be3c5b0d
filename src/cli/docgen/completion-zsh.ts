// The zsh completion script for dsctl (see completion-common.ts).
import { COMMANDS, STATE_VALUES } from '../../rpc-api/commands';
import {
  GLOBAL_OPTS,
  HEADER,
  LIST_MODES,
  VALUE_OPTS,
  argCompletion,
  optionsOf,
  spellingPairs,
  topics,
} from './completion-common';

export function zshCompletion(): string {
  const desc = (s: string): string => s.replace(/:/g, '\\:').replace(/'/g, `'\\''`);
  const cmdList = COMMANDS.map((c) => `    '${c.name}:${desc(c.summary)}'`).join('\n');
  const topicList = topics()
    .map((t) => `    '${t}:${t} commands, kamcli spelling'`)
    .join('\n');
  const verbCases = topics()
    .map((t) => {
      const verbs = spellingPairs().filter(([s]) => s.startsWith(t + ' '));
      return `    ${t}) verbs=(${verbs.map(([s, n]) => `'${s.slice(t.length + 1)}:${desc(COMMANDS.find((c) => c.name === n)!.summary)}'`).join(' ')}) ;;`;
    })
    .join('\n');
  const aliasCases = spellingPairs()
    .map(([s, n]) => `    '${s}') cmd=${n} ;;`)
    .join('\n');
  const argCases = COMMANDS.filter((c) => c.params.length)
    .map((c) => {
      const lines = c.params.map((p, i) => {
        const a = argCompletion(c, p);
        if (a.kind === 'none') return '';
        const n = p.variadic ? '*' : String(i + 1);
        const group = a.groupIndex >= 0 && a.groupIndex < i ? `"\${args[${a.groupIndex + 1}]}"` : "''";
        return `        ${n}) _dsctl_fill ${a.kind} '${a.words.join(' ')}' ${group} ;;`;
      });
      const body = lines.filter(Boolean).join('\n');
      return body ? `    ${c.name})\n      case $n in\n${body}\n      esac ;;` : '';
    })
    .filter(Boolean)
    .join('\n');
  const optCases = COMMANDS.map((c) => `    ${c.name}) opts=(${optionsOf(c).join(' ')}) ;;`).join('\n');
  return `#compdef dsctl
# zsh completion for dsctl. ${HEADER}
# Install: copy to a directory in $fpath (e.g. /usr/share/zsh/vendor-completions/_dsctl).

_dsctl_daemon() {
  local -a sockopt
  [[ -n $_dsctl_sock ]] && sockopt=(-s "$_dsctl_sock")
  "\${_dsctl_bin:-dsctl}" __complete "$@" "\${sockopt[@]}" 2>/dev/null
}

_dsctl_fill() {
  local -a c
  case $1 in
    state) c=(${STATE_VALUES.join(' ')}) ;;
    listmode) c=(${LIST_MODES.join(' ')}) ;;
    setid) c=(\${(f)"$(_dsctl_daemon setids)"}) ;;
    uri) c=(\${(f)"$(_dsctl_daemon uris $3)"}) ;;
    duid) c=(\${(f)"$(_dsctl_daemon duids $3)"}) ;;
    method) c=(\${(f)"$(_dsctl_daemon methods)"}) ;;
  esac
  [[ -n $2 ]] && c+=(\${=2})
  (( \${#c} )) && compadd -a c
}

_dsctl() {
  local -a commands topics verbs pos args opts
  local cmd n i w
  commands=(
${cmdList}
  )
  topics=(
${topicList}
  )
  _dsctl_bin=\${words[1]}
  _dsctl_sock=""
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    case $w in
      -s|--socket) _dsctl_sock=\${words[i+1]}; ((i++)) ;;
      --socket=*) _dsctl_sock=\${w#--socket=} ;;
      ${VALUE_OPTS.filter((o) => o !== '-s' && o !== '--socket').join('|')}) ((i++)) ;;
      -*) ;;
      *) pos+=("$w") ;;
    esac
  done
  case \${words[CURRENT-1]} in
    -s|--socket) _files; return ;;
    ${VALUE_OPTS.filter((o) => o !== '-s' && o !== '--socket').join('|')}) return ;;
  esac
  if (( \${#pos} == 0 )); then
    if [[ \${words[CURRENT]} == -* ]]; then compadd -- ${GLOBAL_OPTS.join(' ')}; return; fi
    _describe -t commands 'dsctl command' commands
    _describe -t topics 'dsctl topic' topics
    return
  fi
  cmd=\${pos[1]}
  args=(\${pos[2,-1]})
  case $cmd in
    ${topics().join('|')})
      if (( \${#pos} == 1 )); then
        case $cmd in
${verbCases}
        esac
        _describe -t verbs "$cmd subcommand" verbs
        return
      fi
      case "\${pos[1]} \${pos[2]}" in
${aliasCases}
      esac
      args=(\${pos[3,-1]}) ;;
  esac
  if [[ \${words[CURRENT]} == -* ]]; then
    case $cmd in
${optCases}
    esac
    compadd -- \${opts[@]}
    return
  fi
  n=$(( \${#args} + 1 ))
  case $cmd in
${argCases}
  esac
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _dsctl "$@"
else
  compdef _dsctl dsctl
fi
`;
}
