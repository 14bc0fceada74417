#!/usr/bin/env bash
# Installs a Docker CLI plugin that Debian bookworm does not package (Compose v2, buildx) from the
# next release's package, through a private apt list that leaves the machine's sources and
# installed packages alone: only the plugin's one static binary is put in place.
#   deploy/containers/cli-plugin.sh <trixie package> <plugin>     e.g. docker-compose docker-compose
set -euo pipefail
package=${1:?usage: cli-plugin.sh <package> <plugin>} plugin=${2:?usage: cli-plugin.sh <package> <plugin>}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts"
printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > "$work/parts/trixie.sources"
apt_private=(-o APT::Sandbox::User=root -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/parts" -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Dir::State::status=/dev/null)
apt-get "${apt_private[@]}" -qq update
(cd "$work" && apt-get "${apt_private[@]}" -qq download "$package")
dpkg-deb -x "$work/${package}"_*.deb "$work/x"
as_root install -D -m755 "$work/x/usr/libexec/docker/cli-plugins/$plugin" "/usr/libexec/docker/cli-plugins/$plugin"
