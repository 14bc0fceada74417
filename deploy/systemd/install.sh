#!/usr/bin/env bash
# Installs voxbus as systemd services from a set-up checkout (deploy/setup.sh has built it):
# the app in /opt/voxbus, user `voxbus` (groups audio and video, for the sound card and the
# screen), /etc/voxbus/voxbus.env (mode 0600, a generated bus password unless one is there), and
# the units; then starts the broker and every service. Run as root; again to update.
#   deploy/systemd/install.sh [--no-start]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "[systemd] run as root" >&2; exit 1; }
say() { printf '[systemd] %s\n' "$*" >&2; }
start=true
[ "${1:-}" = --no-start ] && start=false

for group in audio video; do getent group "$group" > /dev/null || groupadd --system "$group"; done
id voxbus > /dev/null 2>&1 || useradd --system --home-dir /opt/voxbus --no-create-home --shell /usr/sbin/nologin --groups audio,video voxbus
usermod -aG audio,video voxbus

# The app as the services run it: their bundles and what the bundles load (as in the image).
node deploy/runtime-files.mjs /opt/voxbus.new > /dev/null
rm -rf /opt/voxbus.old
[ -d /opt/voxbus ] && mv /opt/voxbus /opt/voxbus.old
mv /opt/voxbus.new /opt/voxbus
rm -rf /opt/voxbus.old

install -d -m 0750 -g voxbus /etc/voxbus
if [ ! -f /etc/voxbus/voxbus.env ]; then
  umask 077
  printf 'VOXBUS_BUS__USERNAME=voxbus\nVOXBUS_BUS__PASSWORD=%s\n' "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" > /etc/voxbus/voxbus.env
  chgrp voxbus /etc/voxbus/voxbus.env
  chmod 0640 /etc/voxbus/voxbus.env
  say "wrote /etc/voxbus/voxbus.env (a new bus password; add settings there)"
fi

node_bin=$(command -v node)
for unit in voxbus-broker.service voxbus@.service; do
  sed "s|/usr/bin/node|$node_bin|" "deploy/systemd/$unit" > "/etc/systemd/system/$unit"
done
systemctl daemon-reload
services=$(cd /opt/voxbus/services && ls -d */ | tr -d / | grep -v '^broker$')
if $start; then
  systemctl enable --now voxbus-broker.service > /dev/null
  for service in $services; do systemctl enable --now "voxbus@$service.service" > /dev/null; done
  say "started voxbus-broker and: $(echo $services)"
fi
