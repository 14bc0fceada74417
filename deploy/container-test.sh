#!/usr/bin/env bash
# `docker compose up`, for real: builds the image from this checkout and runs compose.yaml on a
# virtual sound card, then checks what a user would: every service online on its status topic
# and healthy in the engine, a spoken question answered through the speaker, each service back
# after `docker compose restart` and after its process is killed, and `down` leaving nothing; the
# Python playback in the project's; the all-in-one profile (every service in one container); then
# the systemd units under systemd (deploy/containers/systemd-test.sh).
# Installs the engine from the distribution when it is missing and makes the base image offline
# when no registry answers. Bounded in time (VOXBUS_CONTAINER_TEST_TIMEOUT_S, default 2400 s for
# a cold build); stops everything it started on every exit path. Ends with one summary line.
#   deploy/container-test.sh            (npm run test:containers)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
project=voxbus-ctest
image=voxbus:ctest
base=node:22-bookworm-slim
runtime_base=debian:bookworm-slim
work=$root/tmp/container-test
mkdir -p "$work"
T0=$SECONDS
step() { printf '[containers %4d s] %s\n' "$((SECONDS - T0))" "$*" >&2; }
fail() { printf '[containers %4d s] FAIL: %s\n' "$((SECONDS - T0))" "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# The whole test is bounded: a watchdog ends it (and so its cleanup runs) when time is up.
timeout_s=${VOXBUS_CONTAINER_TEST_TIMEOUT_S:-2400}
( sleep "$timeout_s" && echo "[containers] timed out after $timeout_s s" >&2 && kill -TERM $$ ) 2> /dev/null &
watchdog=$!

pulse_pid=
transcripts=
recorder=
# compose.yaml mounts /dev/snd as a folder; the engine makes it where there is no sound card.
had_snd=false
[ -e /dev/snd ] && had_snd=true
dockerd_pidfile=$work/dockerd.pid
rm -f "$dockerd_pidfile"
compose() { docker compose -p "$project" --env-file "$work/test.env" -f compose.yaml -f deploy/containers/compose.board.yaml "$@"; }
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -f "$work/test.env" ] && docker info > /dev/null 2>&1; then
    # With the all-in-one profile: down leaves a profile's containers alone unless it is named.
    compose --profile all-in-one down --timeout 10 --remove-orphans > "$work/down-on-exit.log" 2>&1 || true
  fi
  for pid in $pulse_pid $transcripts $recorder; do kill "$pid" 2> /dev/null || true; done
  $had_snd || as_root rmdir /dev/snd 2> /dev/null || true
  if [ -f "$dockerd_pidfile" ]; then
    as_root kill "$(cat "$dockerd_pidfile")" 2> /dev/null || true
    for _ in $(seq 40); do as_root kill -0 "$(cat "$dockerd_pidfile")" 2> /dev/null || break; sleep 0.25; done
  fi
  pkill -P "$watchdog" 2> /dev/null || true
  kill "$watchdog" 2> /dev/null || true
  exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

for tool in mosquitto_sub pactl pacat parec espeak-ng sox; do
  command -v "$tool" > /dev/null || fail "$tool is missing (deploy/setup.sh --test installs it)"
done

# 1. The engine.
deploy/containers/engine.sh "$dockerd_pidfile"
step "engine ready"

# 2. The base images: a registry's, or made here.
if ! docker image inspect "$base" > /dev/null 2>&1 || ! docker image inspect "$runtime_base" > /dev/null 2>&1; then
  if timeout 60 docker pull -q "$base" > /dev/null 2>&1 && timeout 60 docker pull -q "$runtime_base" > /dev/null 2>&1; then step "pulled $base and $runtime_base"
  else
    step "no registry answers: making $base and $runtime_base here"
    deploy/containers/make-base.sh
  fi
fi

# 3. The image, built from this checkout as a user builds it. The classic builder: BuildKit
# resolves the base image in a registry even when it is here.
step "building $image"
build_start=$SECONDS
DOCKER_BUILDKIT=0 docker build -q -f deploy/Dockerfile -t "$image" . > "$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log" >&2; fail "the image did not build (whole log: $work/build.log)"; }
build_s=$((SECONDS - build_start))
image_mb=$(( $(docker image inspect -f '{{.Size}}' "$image") / 1000000 ))
step "built in $build_s s: $image_mb MB"

# 4. A virtual sound card on the host, its socket shared into the audio containers.
board=$work/board
rm -rf "$board" && mkdir -p "$board" && chmod 755 "$board"
cat > "$board/board.pa" << PA
load-module module-null-sink sink_name=mic
load-module module-null-sink sink_name=spk
load-module module-null-source source_name=silence
load-module module-native-protocol-unix socket=$board/pulse.sock auth-anonymous=1
load-module module-loopback source=silence sink=mic latency_msec=10 source_dont_move=true sink_dont_move=true
load-module module-loopback source=silence sink=spk latency_msec=10 source_dont_move=true sink_dont_move=true
PA
cat > "$board/asound.conf" << 'ALSA'
pcm.voxbus_mic { type pulse device "mic.monitor" server "unix:/var/run/voxbus-board/pulse.sock" }
pcm.voxbus_spk { type pulse device "spk" server "unix:/var/run/voxbus-board/pulse.sock" }
ALSA
HOME=$board XDG_RUNTIME_DIR=$board pulseaudio -n -F "$board/board.pa" --daemonize=no --exit-idle-time=-1 --use-pid-file=no --disable-shm=yes > "$board/pulse.log" 2>&1 &
pulse_pid=$!
export PULSE_SERVER=unix:$board/pulse.sock
for _ in $(seq 50); do pactl info > /dev/null 2>&1 && break; sleep 0.2; done
pactl info > /dev/null 2>&1 || fail "the virtual sound card did not start: $(tail -3 "$board/pulse.log")"
chmod 777 "$board/pulse.sock"

# 5. The stack, with its own project name, ports and logins (made as the README says, by the image).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mqtt_port=$(free_port)
rm -rf "$work/credentials"
VOXBUS_CREDENTIALS_DIR=$work/credentials VOXBUS_IMAGE=$image deploy/compose-credentials.sh > "$work/credentials.log" 2>&1 \
  || { cat "$work/credentials.log" >&2; fail "deploy/compose-credentials.sh failed"; }
password=$(cat "$work/credentials/admin.password")
sed -e "s|^VOXBUS_CREDENTIALS_DIR=.*|VOXBUS_CREDENTIALS_DIR=$work/credentials|" -e "s/^VOXBUS_MQTT_PORT=.*/VOXBUS_MQTT_PORT=$mqtt_port/" \
  -e "s/^VOXBUS_MONITOR_PORT=.*/VOXBUS_MONITOR_PORT=$(free_port)/" -e "s/^VOXBUS_IMAGE=.*/VOXBUS_IMAGE=$image/" \
  -e "s/^VOXBUS_MIC_DEVICE=.*/VOXBUS_MIC_DEVICE=voxbus_mic/" -e "s/^VOXBUS_SPEAKER_DEVICE=.*/VOXBUS_SPEAKER_DEVICE=voxbus_spk/" \
  -e "s/^COMPOSE_PROJECT_NAME=.*/COMPOSE_PROJECT_NAME=$project/" .env.example > "$work/test.env"
export VOXBUS_TEST_BOARD_DIR=$board
services=$(compose config --services | sort | tr '\n' ' ')
count=$(wc -w <<< "$services")

# As the admin login, with client ids of its own (ids are bound to logins).
sub() { mosquitto_sub -h 127.0.0.1 -p "$mqtt_port" -u admin -P "$password" -I admin- "$@"; }
# A service's retained status: "online <startedAt>", or what it says instead.
status_of() { sub -t "voxbus/$1/status" -C 1 -W 3 2> /dev/null | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["status"], s.get("startedAt", "-"))' 2> /dev/null || echo none; }
# JSON may be written with or without spaces (a service in another language): match either.
online_count() { sub -t 'voxbus/+/status' -v -W 2 2> /dev/null | grep -cE '"status": *"online"' || true; }
wait_all_online() { # $1: seconds, $2: a container whose log says why (optional)
  for _ in $(seq "$1"); do [ "$(online_count)" -ge "$count" ] && return 0; sleep 1; done
  sub -t 'voxbus/+/status' -v -W 2 >&2 || true
  [ -z "${2:-}" ] || compose --profile "$2" logs --tail 30 "$2" >&2 || true
  fail "fewer than $count services online after $1 s${2:+ (in the $2 container)}"
}
# Waits until $1 says online with a start time other than $2 (it really restarted).
wait_restarted() { # $1 service, $2 old startedAt, $3 seconds
  local now
  for _ in $(seq "$3"); do
    now=$(status_of "$1")
    [ "${now%% *}" = online ] && [ "${now#* }" != "$2" ] && return 0
    sleep 1
  done
  compose logs --tail 20 "$1" >&2 || true
  fail "$1 did not come back within $3 s (status: $now)"
}
health_of() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$(compose ps -q "$1")" 2> /dev/null || echo gone; }
wait_all_healthy() { # $1: seconds
  local unhealthy
  for _ in $(seq "$1"); do
    unhealthy=""
    for service in $services; do [ "$(health_of "$service")" = healthy ] || unhealthy+="$service($(health_of "$service")) "; done
    [ -z "$unhealthy" ] && return 0
    sleep 1
  done
  fail "not healthy after $1 s: $unhealthy"
}

# A spoken question into the board's microphone: sets $answer (the assistant's transcript) and
# $peak (the loudest sample the board's speaker played), or fails.
ask_question() {
  mosquitto_sub -h 127.0.0.1 -p "$mqtt_port" -u admin -P "$password" -i admin-transcripts -t 'voxbus/realtime-gateway/event/transcript' -v > "$work/transcripts.log" 2>&1 &
  transcripts=$!
  parec -d spk.monitor --raw --format=s16le --rate=24000 --channels=1 > "$board/speaker.raw" &
  recorder=$!
  sleep 1
  espeak-ng --stdout "Hello there. What is the weather like today?" | sox -t wav - -t raw -r 48000 -c 1 -b 16 -e signed-integer - \
    | pacat --playback -d mic --raw --format=s16le --rate=48000 --channels=1
  for _ in $(seq 20); do grep -q '"kind":"final"' "$work/transcripts.log" && grep -q '"role":"assistant"' "$work/transcripts.log" && break; sleep 1; done
  sleep 4
  kill "$recorder" "$transcripts" 2> /dev/null || true
  wait "$recorder" "$transcripts" 2> /dev/null || true
  peak=$(sox -t raw -r 24000 -c 1 -b 16 -e signed-integer "$board/speaker.raw" -n stat 2>&1 | awk '/Maximum amplitude/ {print $3}')
  answer=$(grep '"role":"assistant"' "$work/transcripts.log" | grep '"kind":"final"' | head -1 | python3 -c 'import json,sys; l=sys.stdin.read(); print(json.loads(l.split(" ",1)[1])["text"] if l else "")')
  [ -n "$answer" ] || { cat "$work/transcripts.log" >&2; fail "no answer in the transcripts"; }
  awk "BEGIN { exit !(${peak:-0} > 0.05) }" || fail "the speaker stayed silent (peak ${peak:-none}); the answer was \"$answer\""
}

step "compose up ($count services: $services)"
compose up -d > "$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "compose up failed"; }
up_start=$SECONDS
wait_all_online 120
online_s=$((SECONDS - up_start))
step "$count services online in $online_s s"
wait_all_healthy 90
step "$count services healthy"

# 6. A spoken question, answered through the speaker.
ask_question
step "answered \"$answer\", speaker peak $peak"

# The image's command line, as the README runs it: every service online in its table.
cli_status=$(compose run --rm -T voxbus status --wait-ms 15000 2>&1) || fail "docker compose run voxbus status failed: $cli_status"
cli_online=$(grep -cE '^[a-z-]+ +online ' <<< "$cli_status" || true)
[ "$cli_online" -ge "$count" ] || fail "voxbus status in the image shows $cli_online of $count services online: $cli_status"
step "voxbus status in the image: $cli_online online"

# 7. Every service back after `compose restart`, and after its process is killed.
restarts=""
for service in $services; do
  before=$(status_of "$service")
  started=$SECONDS
  compose restart "$service" > /dev/null 2>&1 || fail "compose restart $service failed"
  wait_restarted "$service" "${before#* }" 60
  restart_s=$((SECONDS - started))
  before=$(status_of "$service")
  started=$SECONDS
  node_pid=$(docker top "$(compose ps -q "$service")" -eo pid,args | awk '$2 == "node" { print $1; exit }')
  [ -n "$node_pid" ] || fail "no node process in $service's container"
  as_root kill -9 "$node_pid"
  wait_restarted "$service" "${before#* }" 60
  restarts+="$service ${restart_s}/$((SECONDS - started)) s, "
done
wait_all_online 60
step "restart / kill -9, back online: ${restarts%, }"

# 8. What it costs: memory per container (the engine's figure), the image.
memory=$(docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' $(compose ps -q) | sed -e "s/^$project-//" -e 's/-1 / /' -e 's| / .*||' | tr '\n' ',' | sed 's/,$//; s/,/, /g')
step "memory: $memory"

# 9. down leaves nothing.
compose down --timeout 15 > "$work/down.log" 2>&1 || { cat "$work/down.log" >&2; fail "compose down failed"; }
left=$(docker ps -aq --filter "label=com.docker.compose.project=$project"; docker network ls -q --filter "label=com.docker.compose.project=$project")
[ -z "$left" ] || fail "down left containers or networks: $left"
step "down: nothing left"

# 10. A service of one's own, in another language: the Python playback's image in the project
# playback's place through the documented override (examples/playback-python/compose.yaml).
step "building the Python playback's image"
DOCKER_BUILDKIT=0 docker build -q --build-arg DEBIAN_IMAGE="$runtime_base" -t voxbus-playback-python:latest examples/playback-python > "$work/build-python.log" 2>&1 \
  || { tail -20 "$work/build-python.log" >&2; fail "the Python playback's image did not build (whole log: $work/build-python.log)"; }
compose -f examples/playback-python/compose.yaml up -d > "$work/up-python.log" 2>&1 || { cat "$work/up-python.log" >&2; fail "compose up with the Python playback failed"; }
wait_all_online 120
wait_all_healthy 90
python_ps=$(docker top "$(compose ps -q playback)" -eo pid,args 2>&1 || true)
grep -q 'python3 -u /app/playback.py' <<< "$python_ps" || fail "the playback container does not run the Python playback: $python_ps"
ask_question
python_answer=$answer
compose -f examples/playback-python/compose.yaml down --timeout 15 > "$work/down-python.log" 2>&1 || { cat "$work/down-python.log" >&2; fail "compose down failed"; }
step "the Python playback in the project's place: online, healthy, answered \"$python_answer\" (speaker peak $peak)"

# 11. All-in-one: the same services in one container and one Node process (the compose profile),
# on the same board: every status online, healthy, a question answered, the command line served.
aio() { compose --profile all-in-one "$@"; }
step "compose up the all-in-one container"
aio up -d all-in-one > "$work/up-aio.log" 2>&1 || { cat "$work/up-aio.log" >&2; fail "compose up all-in-one failed"; }
up_start=$SECONDS
wait_all_online 120 all-in-one
aio_online_s=$((SECONDS - up_start))
running=$(aio ps --services --status running | sort | tr '\n' ' ')
[ "$running" = "all-in-one " ] || fail "all-in-one: the running containers are \"$running\", not the all-in-one container alone"
aio_nodes=$(docker top "$(aio ps -q all-in-one)" -eo pid,args | awk '$2 == "node"' | wc -l)
[ "$aio_nodes" = 1 ] || fail "all-in-one: $aio_nodes node processes in the container, not one: $(docker top "$(aio ps -q all-in-one)" -eo pid,args)"
for _ in $(seq 90); do [ "$(docker inspect -f '{{.State.Health.Status}}' "$(aio ps -q all-in-one)")" = healthy ] && break; sleep 1; done
aio_health=$(docker inspect -f '{{.State.Health.Status}}' "$(aio ps -q all-in-one)")
[ "$aio_health" = healthy ] || { aio logs --tail 30 all-in-one >&2; fail "all-in-one: not healthy after 90 s ($aio_health)"; }
ask_question
aio_answer=$answer
# The command line finds the broker under its usual name (--no-deps: compose would start `broker`).
cli_status=$(aio run --rm --no-deps -T voxbus status --wait-ms 15000 2>&1) || fail "all-in-one: docker compose run voxbus status failed: $cli_status"
cli_online=$(grep -cE '^[a-z-]+ +online ' <<< "$cli_status" || true)
[ "$cli_online" -ge "$count" ] || fail "all-in-one: voxbus status shows $cli_online of $count services online: $cli_status"
aio_memory=$(docker stats --no-stream --format '{{.MemUsage}}' "$(aio ps -q all-in-one)" | sed 's| / .*||')
aio down --timeout 15 > "$work/down-aio.log" 2>&1 || { cat "$work/down-aio.log" >&2; fail "compose down (all-in-one) failed"; }
left=$(docker ps -aq --filter "label=com.docker.compose.project=$project"; docker network ls -q --filter "label=com.docker.compose.project=$project")
[ -z "$left" ] || fail "down (all-in-one) left containers or networks: $left"
step "all-in-one: $count services online in ${aio_online_s} s from one container (one node process), healthy, answered \"$aio_answer\" (speaker peak $peak), voxbus status $cli_online online; memory $aio_memory; down: nothing left"

# 12. The systemd units, under systemd in a container (deploy/containers/systemd-test.sh).
deploy/containers/systemd-test.sh

echo "containers: PASS: $count/$count online in ${online_s} s and healthy; answered \"$answer\" (and with the Python playback swapped in); restart/kill -9 → online: ${restarts%, }; image $image_mb MB (built in $build_s s); memory: $memory; all-in-one: $count online in ${aio_online_s} s from one process, healthy, answered, $aio_memory"
