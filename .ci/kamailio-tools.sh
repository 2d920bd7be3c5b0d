#!/usr/bin/env bash
# Installs Kamailio 5.6 (kamailio, kamcmd, kamctl) and kamcli from Debian when missing: the
# tools tests run them against dsd and against a Kamailio they start themselves on loopback
# ports and temp sockets. The package would start a system kamailio on 5060: a policy-rc.d
# refuses service starts during the install, and any kamailio it still started is stopped.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
pkgs=()
command -v kamailio >/dev/null 2>&1 || pkgs+=(kamailio)
command -v kamcli >/dev/null 2>&1 || pkgs+=(kamcli)
[ "${#pkgs[@]}" -gt 0 ] || exit 0
echo "installing ${pkgs[*]} (for the kamcmd/kamctl/kamcli tests)"
own_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod 755 /usr/sbin/policy-rc.d
  own_policy=1
fi
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
if [ "$own_policy" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
# No system kamailio may hold 5060 or /run/kamailio: stop and disable whatever got started.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now kamailio >/dev/null 2>&1 || true
fi
$SUDO pkill -x kamailio >/dev/null 2>&1 || true
exit 0
