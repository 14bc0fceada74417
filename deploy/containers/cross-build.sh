#!/usr/bin/env bash
# The image for another architecture, built on this machine through QEMU user emulation, and run:
# installs Debian's qemu-user-static (it registers itself with the kernel's binfmt_misc, with the
# F flag, so emulated programs run inside containers too), makes that architecture's base images
# where no registry answers (make-base.sh), builds deploy/Dockerfile for it with the engine's
# cross-build (`docker buildx build --platform`: the classic builder of Docker 20.10 labels its
# metadata-only steps with the host's platform and then refuses them), then starts the
# image's Node under emulation and loads everything native a service loads (the ALSA and DSP
# addons, Skia drawing with the lcd's fonts), and the broker's bundle answering on its port.
# Slow (every compile and the TypeScript build run emulated): a check, not part of the test command.
#   deploy/containers/cross-build.sh [arm64]        (npm run check:cross-build)
set -euo pipefail
cd "$(dirname "$0")/../.."
arch=${1:-arm64}
case "$arch" in
  arm64) platform=linux/arm64 qemu=aarch64 ;;
  *) echo "cross-build: only arm64 is checked here (armhf: the npm registry has no Node package to make a base image from)" >&2; exit 2 ;;
esac
image=voxbus:$arch
work=$(mktemp -d -t voxbus-cross.XXXXXX)
say() { printf '[cross %4d s] %s\n' "$SECONDS" "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
cleanup() {
  local status=$?
  docker rm -f "voxbus-cross-$$" > /dev/null 2>&1 || true
  if [ -s "$work/registry.pid" ]; then kill "$(cat "$work/registry.pid")" 2> /dev/null || true; fi
  if [ -s "$work/dockerd.pid" ]; then as_root kill "$(cat "$work/dockerd.pid")" 2> /dev/null || true; fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

deploy/containers/engine.sh "$work/dockerd.pid"
if [ ! -e "/proc/sys/fs/binfmt_misc/qemu-$qemu" ]; then
  say "installing qemu-user-static"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static binfmt-support > /dev/null
  [ -e /proc/sys/fs/binfmt_misc/register ] || as_root mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  as_root update-binfmts --enable "qemu-$qemu" > /dev/null 2>&1 || true
  [ -e "/proc/sys/fs/binfmt_misc/qemu-$qemu" ] || { say "the kernel does not run $arch programs (binfmt_misc: qemu-$qemu not registered)"; exit 1; }
fi
say "binfmt: $(tr '\n' ' ' < "/proc/sys/fs/binfmt_misc/qemu-$qemu")"

node_image=local/node:22-bookworm-slim-$arch debian_image=local/debian:bookworm-slim-$arch
if ! docker image inspect "$node_image" > /dev/null 2>&1 || ! docker image inspect "$debian_image" > /dev/null 2>&1; then
  if timeout 60 docker pull -q --platform "$platform" node:22-bookworm-slim > /dev/null 2>&1 \
    && docker tag node:22-bookworm-slim "$node_image" \
    && timeout 60 docker pull -q --platform "$platform" debian:bookworm-slim > /dev/null 2>&1 \
    && docker tag debian:bookworm-slim "$debian_image"; then
    say "pulled the $arch base images"
  else
    say "no registry answers: making the $arch base images (debootstrap under emulation)"
    VOXBUS_BASE_ARCH=$arch deploy/containers/make-base.sh
  fi
fi

# BuildKit (buildx) takes base images from a registry only, never from the engine's own store:
# where they were made here, a registry on loopback (Debian's docker-registry) serves them.
docker buildx version > /dev/null 2>&1 || { say "installing buildx (from Debian trixie's docker-buildx)"; deploy/containers/cli-plugin.sh docker-buildx docker-buildx; }
if [ "${node_image#local/}" != "$node_image" ]; then
  command -v docker-registry > /dev/null || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry > /dev/null
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' "$work/registry" "$port" > "$work/registry.yml"
  docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
  echo $! > "$work/registry.pid"
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" > /dev/null && break; sleep 0.2; done
  for local_image in "$node_image" "$debian_image"; do
    served=127.0.0.1:$port/${local_image#local/}
    docker tag "$local_image" "$served" && docker push -q "$served" > /dev/null && docker rmi "$served" > /dev/null
  done
  node_image=127.0.0.1:$port/${node_image#local/} debian_image=127.0.0.1:$port/${debian_image#local/}
  say "base images served on loopback ($node_image, $debian_image)"
fi

say "building $image for $platform"
started=$SECONDS
docker buildx build --platform "$platform" --build-arg "NODE_IMAGE=$node_image" --build-arg "DEBIAN_IMAGE=$debian_image" \
  --progress plain -f deploy/Dockerfile -t "$image" --load . > "$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; say "the $arch image did not build"; exit 1; }
build_s=$((SECONDS - started))
image_arch=$(docker image inspect -f '{{.Os}}/{{.Architecture}}' "$image")
image_mb=$(( $(docker image inspect -f '{{.Size}}' "$image") / 1000000 ))
say "built in $build_s s: $image_arch, $image_mb MB"

# What a service loads, under emulation: the machine, Node, the three addons, a drawn frame.
loaded=$(docker run --rm --platform "$platform" "$image" sh -c 'cd /app && node -e "
  const os = require(\"node:os\");
  const found = require(\"node:child_process\").execSync(\"find . -name *.node\").toString().trim().split(\"\\n\");
  for (const addon of found) require(addon);
  const { createCanvas, GlobalFonts } = require(\"@napi-rs/canvas\");
  GlobalFonts.registerFromPath(\"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf\", \"t\");
  const canvas = createCanvas(240, 240); const context = canvas.getContext(\"2d\");
  context.font = \"15px t\"; context.fillText(\"voxbus\", 10, 20);
  console.log(os.machine() + \", Node \" + process.versions.node + \", \" + found.length + \" addons loaded, a frame drawn (\" + canvas.toBuffer(\"image/png\").length + \" B PNG)\");
"') || { say "the $arch image's Node or addons did not load"; exit 1; }
say "$loaded"
# The broker's bundle, started as compose starts it, answering on its port.
docker run -d --name "voxbus-cross-$$" --platform "$platform" -e VOXBUS_BUS__USERNAME=voxbus -e VOXBUS_BUS__PASSWORD=cross "$image" > /dev/null
for _ in $(seq 120); do
  docker logs "voxbus-cross-$$" 2>&1 | grep -q "broker listening" && break
  sleep 1
done
docker logs "voxbus-cross-$$" 2>&1 | grep -q "broker listening" || { docker logs "voxbus-cross-$$" 2>&1 | tail -10 >&2; say "the broker did not start under emulation"; exit 1; }
echo "cross-build: PASS: $image ($image_arch, $image_mb MB) built in $build_s s here under QEMU; $loaded; the broker started"
