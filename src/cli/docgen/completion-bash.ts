// The bash completion script for dsctl (see completion-common.ts).
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

export function bashCompletion(): string {
  const cmds = COMMANDS.map((c) => c.name).join(' ');
  const verbCases = topics()
    .map((t) => {
      const verbs = spellingPairs()
        .filter(([s]) => s.startsWith(t + ' '))
        .map(([s]) => s.slice(t.length + 1));
      return `    ${t}) echo ${shq(verbs.join(' '))} ;;`;
    })
    .join('\n');
  const aliasCases = spellingPairs()
    .map(([s, n]) => `    ${shq(s)}) echo ${n} ;;`)
    .join('\n');
  const argCases = COMMANDS.filter((c) => c.params.length)
    .map((c) => {
      const lines = c.params.map((p, i) => {
        const a = argCompletion(c, p);
        if (a.kind === 'none') return '';
        const n = p.variadic ? '*' : String(i);
        const group = a.groupIndex >= 0 && a.groupIndex < i ? `"\${args[${a.groupIndex}]}"` : "''";
        return `        ${n}) _dsctl_fill ${a.kind} ${shq(a.words.join(' '))} ${group} ;;`;
      });
      const body = lines.filter(Boolean).join('\n');
      return body ? `    ${c.name})\n      case $n in\n${body}\n      esac ;;` : '';
    })
    .filter(Boolean)
    .join('\n');
  const optCases = COMMANDS.map((c) => `    ${c.name}) echo ${shq(optionsOf(c).join(' '))} ;;`).join('\n');
  return `# bash completion for dsctl. ${HEADER}
# Install: copy to /usr/share/bash-completion/completions/dsctl, or source it from ~/.bashrc.

_dsctl_commands=${shq(cmds)}
_dsctl_topics=${shq(topics().join(' '))}
_dsctl_states=${shq(STATE_VALUES.join(' '))}
_dsctl_listmodes=${shq(LIST_MODES.join(' '))}

_dsctl_verbs() {
  case "$1" in
${verbCases}
  esac
}

_dsctl_alias() {
  case "$1" in
${aliasCases}
  esac
}

_dsctl_options() {
  case "$1" in
${optCases}
    *) echo ${shq(GLOBAL_OPTS.join(' '))} ;;
  esac
}

# Asks the running daemon (quietly; nothing when it is down).
_dsctl_daemon() {
  "\${_dsctl_bin:-dsctl}" __complete "$@" \${_dsctl_sock:+-s "$_dsctl_sock"} 2>/dev/null
}

# _dsctl_fill KIND STATIC_WORDS GROUP: candidates for one argument into _dsctl_cands.
_dsctl_fill() {
  case "$1" in
    state) _dsctl_cands="$_dsctl_states" ;;
    listmode) _dsctl_cands="$_dsctl_listmodes" ;;
    setid) _dsctl_cands="$(_dsctl_daemon setids)" ;;
    uri) _dsctl_cands="$(_dsctl_daemon uris $3)" ;;
    duid) _dsctl_cands="$(_dsctl_daemon duids $3)" ;;
    method) _dsctl_cands="$(_dsctl_daemon methods)" ;;
    *) _dsctl_cands="" ;;
  esac
  [ -n "$2" ] && _dsctl_cands="$_dsctl_cands $2"
}

_dsctl() {
  # Words from the line itself: URIs hold ':', which COMP_WORDS would split.
  local line="\${COMP_LINE:0:COMP_POINT}" cur="" w i
  local -a words=() pos=() args=()
  read -r -a words <<<"$line"
  if [[ -n $line && $line != *[[:space:]] ]]; then
    cur="\${words[\${#words[@]}-1]}"
    unset 'words[\${#words[@]}-1]'
  fi
  _dsctl_bin="\${words[0]}"
  _dsctl_sock=""
  local prev="\${words[\${#words[@]}-1]}"
  for ((i = 1; i < \${#words[@]}; i++)); do
    w="\${words[i]}"
    case "$w" in
      -s|--socket) _dsctl_sock="\${words[i+1]}"; ((i++)) ;;
      --socket=*) _dsctl_sock="\${w#--socket=}" ;;
      ${VALUE_OPTS.filter((o) => o !== '-s' && o !== '--socket').join('|')}) ((i++)) ;;
      -*) ;;
      *) pos+=("$w") ;;
    esac
  done
  local cands=""
  case "$prev" in
    -s|--socket) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    ${VALUE_OPTS.filter((o) => o !== '-s' && o !== '--socket').join('|')}) COMPREPLY=(); return 0 ;;
  esac
  local cmd="" n
  if ((\${#pos[@]} == 0)); then
    cands="$_dsctl_commands $_dsctl_topics"
  else
    cmd="\${pos[0]}"
    args=("\${pos[@]:1}")
    if [[ " $_dsctl_topics " == *" $cmd "* ]]; then
      if ((\${#pos[@]} == 1)); then
        cands="$(_dsctl_verbs "$cmd")"
        cmd=""
      else
        cmd="$(_dsctl_alias "\${pos[0]} \${pos[1]}")"
        args=("\${pos[@]:2}")
      fi
    fi
  fi
  if [[ -n $cmd ]]; then
    if [[ $cur == -* ]]; then
      cands="$(_dsctl_options "$cmd")"
    else
      n=\${#args[@]}
      _dsctl_cands=""
      case "$cmd" in
${argCases}
      esac
      cands="$_dsctl_cands"
    fi
  elif [[ $cur == -* ]]; then
    cands="$(_dsctl_options '')"
  fi
  COMPREPLY=($(compgen -W "$cands" -- "$cur"))
  # Readline replaces only the part after the last ':' when ':' is a word break.
  local colon=""
  [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]] && colon="\${cur%"\${cur##*:}"}"
  # URIs may hold ';' or other shell characters: insert them quoted.
  for i in "\${!COMPREPLY[@]}"; do printf -v 'COMPREPLY[i]' '%q' "\${COMPREPLY[i]#"$colon"}"; done
  return 0
}

complete -F _dsctl dsctl
`;
}
