#!/bin/sh
# Gathers the runtime image's whole filesystem into one folder, distroless-style: Node, the app,
# and only the shared libraries they load (the dynamic loader's closure of node, every addon and
# every ALSA plugin, found with ldd), ALSA's configuration, the lcd's two default fonts, users,
# and BusyBox for the health check's shell and a user's `docker compose exec <service> sh`.
# Debian's slim base alone is 75 MB (apt, perl, coreutils, bash…); none of it runs a service.
# Runs inside deploy/Dockerfile's runtime-root stage, which is the target architecture (an
# emulated one in a cross build), so ldd answers for that architecture.
#   runtime-root.sh <node> <app folder> <out>
set -eu
node=$1 app=$2 out=$3
mkdir -p "$out"
# Debian merges /lib into /usr/lib: the same links first, so the loader's path (/lib64/ld-linux…,
# /lib/…) and everything copied below go through them as on Debian.
for link in /bin /sbin /lib /lib64 /lib32 /libx32; do
  [ -L "$link" ] || continue
  mkdir -p "$out/usr/$(basename "$(readlink "$link")")"
  cp -a "$link" "$out$link"
done
# Copies a path with its parent folders, keeping symlinks (a library's soname link and its file).
take() { cp -a --parents "$1" "$out"; }

take "$node"
cp -a "$app" "$out/app"

# Shared libraries: everything ldd lists for the binaries, the symlinks and what they point at.
binaries="$node $(find "$app" -name '*.node') $(find /usr/lib -path '*/alsa-lib/*.so' 2>/dev/null)"
for binary in $binaries; do
  [ "${binary#*/alsa-lib/}" != "$binary" ] && take "$binary"
  # "libfoo.so.1 => /lib/…/libfoo.so.1 (0x…)" and the loader's own "/lib64/ld-linux….so.2 (0x…)".
  ldd "$binary" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }'
done | sort -u | while read -r library; do
  take "$library"
  real=$(readlink -f "$library")
  [ "$real" = "$library" ] || take "$real"
done
# The loader's search path and its cache, so the copied libraries are found as on Debian.
take /etc/ld.so.conf
[ -d /etc/ld.so.conf.d ] && take /etc/ld.so.conf.d
ldconfig -r "$out"

# ALSA's configuration (alsa.conf and the cards' definitions it includes).
take /usr/share/alsa
# The lcd's default fonts (services/lcd/src/config.ts): DejaVu Sans and Droid Sans Fallback (CJK).
take /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
take /usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf
# Name resolution for the realtime service's host (glibc reads these; Docker writes hosts and
# resolv.conf), and the users (root, node 1000:1000).
take /etc/nsswitch.conf
grep -E '^(root|node):' /etc/passwd > "$out/etc/passwd"
grep -E '^(root|node|audio|video):' /etc/group > "$out/etc/group"
mkdir -p "$out/home/node" && chown 1000:1000 "$out/home/node"

# A shell and the small tools the health check uses (read, date, stat), from BusyBox.
mkdir -p "$out/usr/bin"
cp /bin/busybox "$out/usr/bin/busybox"
for tool in sh ash cat date ls ps stat kill sleep env id; do ln -s busybox "$out/usr/bin/$tool"; done

# The command line: `voxbus status`, `voxbus monitor`… in any container of the image.
printf '#!/bin/sh\nexec /usr/local/bin/node /app/shared/dist/cli/voxbus.mjs "$@"\n' > "$out/usr/local/bin/voxbus"
chmod 755 "$out/usr/local/bin/voxbus"

mkdir -p "$out/tmp" "$out/run" "$out/var/tmp"
chmod 1777 "$out/tmp" "$out/var/tmp"
