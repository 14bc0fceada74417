#!/usr/bin/env bash
# The systemd units, run for real: a Debian container with systemd as PID 1 (this machine has no
# systemd of its own), the app installed from this checkout by deploy/systemd/install.sh as a user
# would, then checks: every service online on the bus, a killed service restarted by systemd,
# `systemctl stop` leaving no voxbus process. Needs the engine and the images the container test
# makes (it takes Node from voxbus:ctest). Stops what it started on every exit path.
#   deploy/containers/systemd-test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
image=voxbus-systemd:test
name=voxbus-systemd-test
work=$PWD/tmp/systemd-test
mkdir -p "$work"
T0=$SECONDS
step() { printf '[systemd %4d s] %s\n' "$((SECONDS - T0))" "$*" >&2; }
fail() { printf '[systemd %4d s] FAIL: %s\n' "$((SECONDS - T0))" "$*" >&2; exit 1; }
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  docker rm -f "$name" > /dev/null 2>&1 || true
  exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

docker image inspect voxbus:ctest > /dev/null 2>&1 || fail "voxbus:ctest is missing (deploy/container-test.sh builds it)"
cat > "$work/Dockerfile" << 'DOCKERFILE'
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends systemd systemd-sysv dbus libasound2 libspeexdsp1 libwebrtc-audio-processing1 fonts-dejavu-core mosquitto-clients procps \
 && rm -rf /var/lib/apt/lists/* \
 && find /etc/systemd/system /lib/systemd/system -path '*.wants/*' \( -name '*getty*' -o -name '*udev*' -o -name 'systemd-logind*' \) -delete
COPY --from=voxbus:ctest /usr/local/bin/node /usr/local/bin/node
STOPSIGNAL SIGRTMIN+3
CMD ["/sbin/init"]
DOCKERFILE
DOCKER_BUILDKIT=0 docker build -q -t "$image" "$work" > "$work/build.log" 2>&1 || { tail -20 "$work/build.log" >&2; fail "the systemd image did not build"; }
step "image with systemd built"

# systemd as PID 1 needs its cgroup hierarchy and a tmpfs /run; the checkout comes in read-only.
docker run -d --name "$name" --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
  -v "$PWD:/src:ro" "$image" > /dev/null
in_box() { docker exec "$name" "$@"; }
for _ in $(seq 60); do
  state=$(in_box systemctl is-system-running 2> /dev/null || true)
  case "$state" in running | degraded) break ;; esac
  sleep 1
done
[ "$state" = running ] || [ "$state" = degraded ] || fail "systemd did not come up (state: ${state:-none})"
step "systemd running in the container ($state)"

# The lcd through the slot for a service of the user's own: any command line, here a shell that runs it.
replacement="/bin/sh -c 'exec /usr/local/bin/node services/lcd/dist/bundle.mjs'"
# The opt-in services (Home Assistant's bridge, the recorder), switched on as a user would: their settings in voxbus.env.
in_box sh -c 'mkdir -p /etc/voxbus && printf "VOXBUS_HOME_ASSISTANT__ENABLED=true\nVOXBUS_RECORDER__ENABLED=true\n" > /etc/voxbus/voxbus.env'
in_box bash /src/deploy/systemd/install.sh --replace "lcd=$replacement" > "$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "install.sh failed"; }
exec_start=$(in_box systemctl show -p ExecStart --value voxbus@lcd.service)
[[ "$exec_start" == *"/bin/sh"*"services/lcd/dist/bundle.mjs"* ]] || fail "voxbus@lcd does not run the replacement (ExecStart: $exec_start)"
step "$(tail -1 "$work/install.log" | sed 's/^\[systemd\] //')"
password=$(in_box cat /etc/voxbus/credentials/admin.password)
# The services install.sh set up (the broker and every enabled instance): an opt-in service not
# switched on (the telephony bridge, here) has a folder but no unit.
services=$(in_box systemctl list-units --type=service --all --no-legend --plain 'voxbus*' | awk '{print $1}' | sed -E 's/^voxbus[@-]//; s/\.service$//' | sort | tr '\n' ' ')
count=$(wc -w <<< "$services")
# As the admin login, with a client id of its own (ids are bound to logins).
sub() { in_box mosquitto_sub -h 127.0.0.1 -u admin -P "$password" -I admin- "$@"; }
status_of() { sub -t "voxbus/$1/status" -C 1 -W 3 2> /dev/null || echo '{}'; }
online_count() { sub -t 'voxbus/+/status' -v -W 2 2> /dev/null | grep -cE '"status": *"online"' || true; }
wait_all_online() {
  for _ in $(seq "$1"); do [ "$(online_count)" -ge "$count" ] && return 0; sleep 1; done
  in_box systemctl --no-pager status 'voxbus*' >&2 || true
  fail "fewer than $count services online after $1 s"
}
wait_all_online 90
step "$count services online: $services"

# A killed service is restarted by systemd (Restart=always) and says online again.
before=$(status_of dsp)
pid=$(in_box systemctl show -p MainPID --value voxbus@dsp.service)
in_box kill -9 "$pid"
for _ in $(seq 30); do
  now=$(status_of dsp)
  [[ "$now" == *'"status":"online"'* ]] && [ "$now" != "$before" ] && break
  sleep 1
done
[[ "$now" == *'"status":"online"'* ]] && [ "$now" != "$before" ] || fail "dsp was not restarted after kill -9 (status: $now)"
restarts=$(in_box systemctl show -p NRestarts --value voxbus@dsp.service)
step "dsp killed (pid $pid): restarted by systemd (NRestarts=$restarts), online again"

# Each service on its own login and user: its password file is its own, and it cannot publish as another.
owners=$(in_box stat -c '%U %a %n' /etc/voxbus/credentials/dsp.password /etc/voxbus/credentials/users.json /etc/voxbus/credentials/admin.password | tr '\n' ';')
[ "$owners" = "voxbus-dsp 600 /etc/voxbus/credentials/dsp.password;voxbus-broker 600 /etc/voxbus/credentials/users.json;root 600 /etc/voxbus/credentials/admin.password;" ] \
  || fail "credential files not owned as they should be: $owners"
in_box runuser -u voxbus-playback -- cat /etc/voxbus/credentials/dsp.password > /dev/null 2>&1 && fail "the playback user can read the dsp's password"
in_box ps -o user:32= -p "$(in_box systemctl show -p MainPID --value voxbus@dsp.service)" | grep -q '^voxbus-dsp' || fail "the dsp does not run as voxbus-dsp"

dsp_password=$(in_box cat /etc/voxbus/credentials/dsp.password)
in_box mosquitto_pub -h 127.0.0.1 -u dsp -P "$dsp_password" -I dsp- -t voxbus/playback/state -m '{}' > /dev/null 2>&1 || true
denied=$(sub -t voxbus/broker/metrics -C 1 -W 15 2> /dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"].get("publishes.denied", 0))' 2> /dev/null || echo none)
[ "$denied" = 1 ] || fail "the broker did not refuse the dsp's login publishing as playback (publishes.denied: $denied)"
step "access rules: the dsp's login publishing as playback was refused"

# systemctl stop leaves nothing running.
in_box systemctl stop 'voxbus@*' voxbus-broker.service
left=$(in_box ps -eo user:32,args --no-headers | grep '^voxbus-' || true)
[ -z "$left" ] || fail "systemctl stop left: $left"
step "systemctl stop: no voxbus process left"
echo "systemd: PASS: $count/$count online under systemd (the lcd through --replace, the opt-in Home Assistant bridge and recorder switched on), each as its own user on its own login; kill -9 → restarted (NRestarts=$restarts); stop left nothing"
