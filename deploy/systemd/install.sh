#!/usr/bin/env bash
# Installs voxbus as systemd services from a set-up checkout (deploy/setup.sh has built it):
# the app in /opt/voxbus, a system user per service (`voxbus-<service>`, group `voxbus`, and audio
# and video for the sound card and the screen), /etc/voxbus/voxbus.env (settings, mode 0640), the
# bus logins in /etc/voxbus/credentials (voxbus-credentials: each service's password file readable
# by its user alone, monitor/controller/admin by root), and the units; then starts the broker and
# every service. Run as root; again to update (existing passwords are kept).
# --replace <service>=<command line> runs a service of your own (in any language) in that one's
# place: a drop-in, /etc/systemd/system/voxbus@<service>.service.d/replace.conf, sets its
# ExecStart (run from /opt/voxbus as the service's user, with its login); --keep <service> removes it.
#   deploy/systemd/install.sh [--no-start] [--replace playback='/usr/bin/python3 /opt/my/playback.py']… [--keep playback]…
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "[systemd] run as root" >&2; exit 1; }
say() { printf '[systemd] %s\n' "$*" >&2; }
start=true
replaces=()
keeps=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-start) start=false ;;
    --replace) [ $# -ge 2 ] || { say "--replace needs <service>=<command line>"; exit 2; }; replaces+=("$2"); shift ;;
    --keep) [ $# -ge 2 ] || { say "--keep needs a service name"; exit 2; }; keeps+=("$2"); shift ;;
    *) say "unknown option $1 (--no-start, --replace <service>=<command line>, --keep <service>)"; exit 2 ;;
  esac
  shift
done

for group in audio video voxbus; do getent group "$group" > /dev/null || groupadd --system "$group"; done

# The app as the services run it: their bundles and what the bundles load (as in the image).
node deploy/runtime-files.mjs /opt/voxbus.new > /dev/null
rm -rf /opt/voxbus.old
[ -d /opt/voxbus ] && mv /opt/voxbus /opt/voxbus.old
mv /opt/voxbus.new /opt/voxbus
rm -rf /opt/voxbus.old

install -d -m 0750 -g voxbus /etc/voxbus
if [ ! -f /etc/voxbus/voxbus.env ]; then
  install -m 0640 -g voxbus /dev/null /etc/voxbus/voxbus.env
  say "wrote /etc/voxbus/voxbus.env (empty: settings go there)"
fi
# One shared login from an older install: the units now set each service's own.
if grep -q '^VOXBUS_BUS__\(USERNAME\|PASSWORD\)=' /etc/voxbus/voxbus.env; then
  sed -i '/^VOXBUS_BUS__\(USERNAME\|PASSWORD\)=/d' /etc/voxbus/voxbus.env
  say "removed the shared bus login from /etc/voxbus/voxbus.env (each service has its own now)"
fi
services=$(cd /opt/voxbus/services && ls -d */ | tr -d / | grep -v '^broker$')
# One system user per service: its password file is its own, and its process is apart from the others.
for service in broker $services; do
  user=voxbus-$service
  id "$user" > /dev/null 2>&1 || useradd --system --gid voxbus --groups audio,video --home-dir /opt/voxbus --no-create-home --shell /usr/sbin/nologin "$user"
done
node /opt/voxbus/services/broker/dist/credentials-cli.mjs /etc/voxbus/credentials > /dev/null
# Each service may open its own file by name (the folder is not listable); people's stay root's.
chmod 0711 /etc/voxbus/credentials
for service in broker $services; do chown "voxbus-$service" "/etc/voxbus/credentials/$service.password"; done
chown voxbus-broker /etc/voxbus/credentials/users.json
say "bus logins in /etc/voxbus/credentials (monitor.password, controller.password, admin.password for people)"

node_bin=$(command -v node)
for unit in voxbus-broker.service voxbus@.service; do
  sed "s|/usr/bin/node|$node_bin|" "deploy/systemd/$unit" > "/etc/systemd/system/$unit"
done
for replace in "${replaces[@]}"; do
  service=${replace%%=*}
  command=${replace#*=}
  { [ "$service" != "$replace" ] && [ -n "$command" ]; } || { say "--replace $replace: write it as <service>=<command line>"; exit 2; }
  printf '%s\n' $services | grep -qx -- "$service" || { say "--replace $service: no service named $service (found: $(echo $services))"; exit 2; }
  install -d "/etc/systemd/system/voxbus@$service.service.d"
  # An empty ExecStart= first: systemd adds to a list otherwise.
  printf '[Service]\nExecStart=\nExecStart=%s\n' "$command" > "/etc/systemd/system/voxbus@$service.service.d/replace.conf"
  say "voxbus@$service runs: $command"
done
for service in "${keeps[@]}"; do
  rm -f "/etc/systemd/system/voxbus@$service.service.d/replace.conf"
  say "voxbus@$service runs the project's $service again"
done
systemctl daemon-reload
# An opt-in service (Home Assistant's bridge) starts only when its setting is in voxbus.env.
started=""
for service in $services; do
  opt_in=$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).voxbus?.optIn ?? "")' "/opt/voxbus/services/$service/package.json")
  if [ -n "$opt_in" ] && ! grep -q "^$opt_in=" /etc/voxbus/voxbus.env; then continue; fi
  started="$started $service"
done
# An opted-in stand-in (the telephony bridge) runs in place of the services it replaces
# (audio-capture and playback): they are left out, and stopped if they ran.
replaced=""
for service in $started; do
  replaced="$replaced $(node -e 'const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).voxbus ?? {}; process.stdout.write(v.optIn ? (v.replaces ?? []).join(" ") : "")' "/opt/voxbus/services/$service/package.json")"
done
for service in $replaced; do
  started=$(printf '%s\n' $started | grep -vx -- "$service" | tr '\n' ' ')
  if $start; then systemctl disable --now "voxbus@$service.service" > /dev/null 2>&1 || true; fi
done
if $start; then
  systemctl enable --now voxbus-broker.service > /dev/null
  for service in $started; do systemctl enable --now "voxbus@$service.service" > /dev/null; done
  say "started voxbus-broker and:$started"
fi
