#!/usr/bin/python3
"""A voxbus playback in Python from docs/contract.md alone, on Debian's python3-paho-mqtt and python3-alsaaudio: it plays
`audio/output` (24 kHz mono s16le, as the gateway sends it), reports items, publishes the echo reference (`audio/played`),
and obeys flush, volume, mute and earcons. Check it with `voxbus conformance playback`."""
import json, math, os, signal, socket, struct, sys, threading, time
from collections import Counter, deque
from urllib.parse import urlparse

import alsaaudio
import paho.mqtt.client as mqtt

SERVICE, VERSION = 'playback', '0.1.0'
RATE, PERIOD = 24000, 240            # 10 ms periods: the granularity of flush and of the events
PERIODS = 4                          # the device buffer (40 ms): written audio is heard this much later
EARCONS = {'listening': [(660, 80), (880, 80)], 'thinking': [(523, 110)], 'error': [(440, 135), (330, 135)]}
LEVELS = {'trace': 10, 'debug': 20, 'info': 30, 'warn': 40, 'error': 50, 'fatal': 60, 'silent': 99}

def monotonic_us():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000

def setting(name, default, parse=str, ok=lambda value: True):
    """A setting (docs/contract.md, Settings); a bad value exits 78 (EX_CONFIG: the run command does not restart it)."""
    raw = os.environ.get(name)
    try:
        value = default if raw in (None, '') else parse(raw)
        if raw in (None, '') or ok(value):
            return value
    except (ValueError, KeyError, OSError):
        pass
    print(json.dumps({'level': 60, 'service': SERVICE, 'msg': f'configuration error: {name}={raw!r} is not valid'}), flush=True)
    sys.exit(78)


URL = setting('VOXBUS_BUS__URL', urlparse('mqtt://127.0.0.1:1883'), urlparse, lambda url: url.scheme == 'mqtt' and url.hostname)
BASE = setting('VOXBUS_BUS__BASE_TOPIC', 'voxbus')
USERNAME = setting('VOXBUS_BUS__USERNAME', None, lambda name: name.replace('{service}', SERVICE))
PASSWORD = setting('VOXBUS_BUS__PASSWORD_FILE', None, lambda path: open(path).readline().strip()) or os.environ.get('VOXBUS_BUS__PASSWORD')
METRICS_S = setting('VOXBUS_METRICS_INTERVAL_MS', 10000, int, lambda ms: ms > 0) / 1000
DEVICE = setting('VOXBUS_PLAYBACK__DEVICE', 'default')
VOLUME = setting('VOXBUS_PLAYBACK__VOLUME', 1.0, float, lambda volume: 0 <= volume <= 4)
LOG_LEVEL = setting('VOXBUS_LOG__LEVEL', 30, LEVELS.__getitem__)
HEALTH_FILE = setting('VOXBUS_HEALTH_FILE', None)
STARTED_AT, STARTED = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), time.monotonic()

def log(level, msg, **fields):
    if LEVELS[level] >= LOG_LEVEL:
        print(json.dumps({'level': LEVELS[level], 'time': int(time.time() * 1000), 'service': SERVICE, 'msg': msg, **fields}), flush=True)

def decode_frame(data):
    """A VXAF frame of the item's audio: (responseId, itemId, pcm). Raises ValueError naming what is wrong."""
    if len(data) < 32 or data[:4] != b'VXAF' or data[4] != 1:
        raise ValueError('not a version 1 VXAF frame')
    sample_format, channels, flags, header_bytes, _, rate, _, count = struct.unpack_from('<BBBHHIII', data, 5)
    if (sample_format, channels, rate, flags & 1) != (1, 1, RATE, 1):
        raise ValueError(f'only {RATE} Hz mono s16le with an item tag is played, not format {sample_format}, {channels} ch, {rate} Hz')
    r = data[36]                         # the response id's length; the item id's follows the response id
    response_id, item_id, pcm = data[37:37 + r].decode(), data[38 + r:38 + r + data[37 + r]].decode(), data[header_bytes:]
    if len(pcm) != count * 2 or not item_id:
        raise ValueError('the PCM length does not match frameCount, or there is no item id')
    return response_id, item_id, pcm

def encode_frame(sequence, time_us, pcm):
    return struct.pack('<4sBBBBHHIIIQ', b'VXAF', 1, 1, 1, 0, 32, 0, RATE, sequence & 0xFFFFFFFF, len(pcm) // 2, time_us) + pcm

def tone(parts):
    out = bytearray()
    for frequency, ms in parts:
        n = RATE * ms // 1000
        out += struct.pack(f'<{n}h', *(int(0.25 * 32767 * math.sin(2 * math.pi * frequency * i / RATE)) for i in range(n)))
    return out


class Item:
    def __init__(self, response_id, item_id):
        self.response_id, self.item_id, self.pending = response_id, item_id, bytearray()   # pending: received, not yet written
        self.received = self.written = self.heard = 0   # samples
        self.sounding = self.flushed = False            # sounding: started and not drained since


class Playback:
    def __init__(self, client):
        self.client, self.lock = client, threading.Lock()
        self.queue, self.items = deque(), {}   # items in arrival order; the first is the one playing
        self.flushed = deque(maxlen=512)       # ids of items and responses flushed lately: their late frames are dropped
        self.in_device = deque()               # per written period: (item or None, samples of it)
        self.volume, self.muted = VOLUME, False
        self.state, self.since_ms, self.granted, self.error = 'opening', time.time() * 1000, None, None
        self.counters, self.invalid = Counter({'frames.played': 0, 'frames.droppedAfterFlush': 0, 'flushes': 0}), Counter()
        self.played_pcm, self.played_sequence, self.played_anchor_us, self.written_total = bytearray(), 0, 0, 0

    def publish(self, path, payload, qos=1, retain=False):
        self.client.publish(f'{BASE}/{path}', payload if isinstance(payload, bytes) else json.dumps(payload), qos=qos, retain=retain)

    def publish_state(self, state=None, error=None):
        if state is not None and state != self.state:
            self.state, self.since_ms = state, time.time() * 1000
        self.error = error
        self.publish('playback/state', {'state': self.state, 'device': DEVICE, 'granted': self.granted, 'error': self.error, 'sinceMs': self.since_ms,
                                        'retryInMs': 1000 if error else None, 'volume': self.volume, 'muted': self.muted}, retain=True)

    def event(self, kind, item):
        self.publish('playback/event/item', {'kind': kind, 'itemId': item.item_id, 'responseId': item.response_id, 'heardMs': item.heard * 1000 // RATE,
                                             'receivedMs': item.received * 1000 // RATE, 'enteredDeviceUs': None, 'timeUs': monotonic_us()}, qos=1)

    def take_frame(self, data):
        try:
            response_id, item_id, pcm = decode_frame(data)
        except (ValueError, IndexError, UnicodeDecodeError) as error:
            self.invalid['audio.output'] += 1
            return log('warn', 'audio/output frame dropped', err=str(error))
        with self.lock:
            if item_id in self.flushed or response_id in self.flushed:
                self.counters['frames.droppedAfterFlush'] += 1
                return
            self.enqueue(response_id, item_id, pcm)

    def enqueue(self, response_id, item_id, pcm):
        item = self.items.get(item_id)
        if item is None:
            item = self.items[item_id] = Item(response_id, item_id)
            self.queue.append(item)
        item.pending += pcm
        item.received += len(pcm) // 2

    def flush(self):
        with self.lock:
            self.counters['flushes'] += 1
            for item in self.queue:
                item.flushed, item.heard = True, item.written   # what is in the device still plays: it counts as heard
                self.flushed.extend(filter(None, (item.item_id, item.response_id)))
                self.event('flushed', item)
            self.queue.clear()
            self.items.clear()
            if self.state == 'playing':
                self.publish_state('idle')

    def command(self, name, payload):
        """A `playback/cmd/<name>`; one that is not valid is logged and counted."""
        if name == 'flush':
            self.flush()
        elif name == 'volume' and isinstance(payload.get('volume'), (int, float)) and 0 <= payload['volume'] <= 4:
            self.volume = float(payload['volume'])
        elif name in ('mute', 'unmute'):
            self.muted = name == 'mute'
        elif name == 'earcon' and payload.get('name') in EARCONS:
            with self.lock:
                self.enqueue('', f"earcon:{payload['name']}", tone(EARCONS[payload['name']]))
        else:
            self.invalid[f'playback.cmd.{name}'] += 1
            return log('warn', 'command dropped: not valid', command=name, payload=payload)
        if name in ('volume', 'mute', 'unmute'):
            self.publish_state()

    def next_period(self):
        """The next 10 ms to write, and the item it belongs to (None: silence)."""
        with self.lock:
            while self.queue and not self.queue[0].pending and len(self.queue) > 1:
                done = self.queue.popleft()   # ran out, and another item waits: go on to it
                self.items.pop(done.item_id, None)
            item = self.queue[0] if self.queue and self.queue[0].pending else None
            if item is None:
                return bytes(PERIOD * 2), None, 0
            chunk = bytes(item.pending[:PERIOD * 2])
            del item.pending[:PERIOD * 2]
            item.written += len(chunk) // 2
            return chunk + bytes(PERIOD * 2 - len(chunk)), item, len(chunk) // 2

    def heard(self, item, samples):
        """A period of `item` has come out of the speaker."""
        with self.lock:
            if item is None or item.flushed:
                return
            was, item.heard = item.heard, item.heard + samples
            if not item.sounding:
                item.sounding = True
                self.event('started', item)
                self.publish_state('playing')
            elif item.heard * 10 // RATE != was * 10 // RATE:
                self.event('position', item)     # every 100 ms heard
            if item.heard >= item.received and not item.pending:
                item.sounding = False
                self.event('drained', item)
                if not any(other.pending for other in self.queue):
                    self.publish_state('idle')

    def played(self, pcm):
        """The echo reference: what was written, stamped when it is heard (by the samples written since the device opened)."""
        self.played_pcm += pcm
        self.written_total += len(pcm) // 2
        if len(self.played_pcm) >= 2 * PERIOD * 2:   # frames of 20 ms, the contract's default
            start = self.played_anchor_us + (self.written_total - len(self.played_pcm) // 2) * 1_000_000 // RATE
            self.publish('audio/played', encode_frame(self.played_sequence, start, bytes(self.played_pcm)), qos=0)
            self.played_sequence, self.played_pcm = self.played_sequence + 1, bytearray()

    def gain(self, pcm):
        gain = 0.0 if self.muted else self.volume
        samples = struct.unpack(f'<{len(pcm) // 2}h', pcm)
        return pcm if gain == 1.0 else struct.pack(f'<{len(samples)}h', *(max(-32768, min(32767, int(s * gain))) for s in samples))

    def run(self, stop):
        while not stop.is_set():
            code, device = 'device_error', None
            try:
                device = alsaaudio.PCM(alsaaudio.PCM_PLAYBACK, alsaaudio.PCM_NORMAL, device=DEVICE)
                device.setchannels(1), device.setrate(RATE), device.setformat(alsaaudio.PCM_FORMAT_S16_LE), device.setperiodsize(PERIOD)
                self.played_anchor_us, self.written_total, self.played_pcm = monotonic_us(), 0, bytearray()   # heard from now on
                self.granted = {'device': DEVICE, 'sampleRateHz': RATE, 'channels': 1, 'sampleFormat': 's16le', 'periodFrames': PERIOD, 'bufferFrames': PERIOD * PERIODS}
                self.publish_state('idle')
                code = 'device_lost'
                while not stop.is_set():
                    pcm, item, samples = self.next_period()
                    pcm = self.gain(pcm) if item else pcm
                    device.write(pcm)            # blocks while the device buffer is full: the pace of it all
                    self.counters['frames.played'] += 1
                    self.played(pcm)
                    self.in_device.append((item, samples))
                    if len(self.in_device) > PERIODS:
                        self.heard(*self.in_device.popleft())
            except alsaaudio.ALSAAudioError as error:
                self.granted = None
                self.publish_state('error', {'code': code, 'message': f'{DEVICE}: {error}'})
                log('error', 'the speaker failed; opening it again in 1 s', device=DEVICE, err=str(error))
                stop.wait(1)
            finally:
                device and device.close()
        self.publish_state('stopped')

    def status(self, status, reason):
        return json.dumps({'status': status, 'reason': reason, 'service': SERVICE, 'version': VERSION, 'startedAt': STARTED_AT, 'pid': os.getpid(), 'host': socket.gethostname()})

    def metrics(self, connected, received):
        usage, rss = os.times(), int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
        self.publish('playback/metrics', {
            'service': SERVICE, 'atMs': time.time() * 1000, 'uptimeMs': (time.monotonic() - STARTED) * 1000,
            'process': {'rssBytes': rss, 'pssBytes': None, 'heapUsedBytes': None, 'cpuUserUs': int(usage.user * 1e6),
                        'cpuSystemUs': int(usage.system * 1e6), 'eventLoopDelayP99Ms': None},
            'bus': {'connected': connected, 'reconnects': 0, 'published': 0, 'received': received, 'invalidReceived': dict(self.invalid),
                    'refusedPublishes': {}, 'droppedOutgoing': {}, 'droppedIncoming': {}, 'handlerErrors': {}, 'queueDepthMax': 0},
            'counters': dict(self.counters)}, qos=0)


def main():
    client = mqtt.Client(client_id=f'{USERNAME or SERVICE}-{os.getpid()}', clean_session=True, protocol=mqtt.MQTTv311)
    playback = Playback(client)
    if USERNAME:
        client.username_pw_set(USERNAME, PASSWORD)
    client.will_set(f'{BASE}/playback/status', playback.status('offline', 'connection_lost'), qos=1, retain=True)
    received = [0]

    def on_connect(client, _userdata, _flags, rc):
        if rc != 0:
            return log('error', 'the broker refused the connection', rc=rc)
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.subscribe([(f'{BASE}/audio/output', 0), (f'{BASE}/playback/cmd/+', 1), (f'{BASE}/playback/req/describe', 1)])
        client.publish(f'{BASE}/playback/status', playback.status('online', 'running'), qos=1, retain=True)
        playback.publish_state()
        log('info', 'connected', url=URL.geturl())

    def on_message(_client, _userdata, message):
        received[0] += 1
        path = message.topic[len(BASE) + 1:]
        if path == 'audio/output':
            return playback.take_frame(message.payload)
        try:
            payload = json.loads(message.payload)
        except ValueError as error:
            return log('warn', 'message dropped: not JSON', topic=message.topic, err=str(error))
        if path == 'playback/req/describe' and isinstance(payload, dict) and isinstance(payload.get('requestId'), str):
            config = {'common': {'bus': {'url': URL.geturl(), 'baseTopic': BASE, 'username': USERNAME, 'password': '***'}, 'metricsIntervalMs': METRICS_S * 1000},
                      'playback': {'device': DEVICE, 'volume': playback.volume}}
            return playback.publish('playback/res/describe', {'requestId': payload['requestId'], 'ok': True, 'data': {
                'service': SERVICE, 'version': VERSION, 'startedAt': STARTED_AT, 'configVersion': 1, 'config': config}})
        playback.command(path.rsplit('/', 1)[1], payload if isinstance(payload, dict) else {})

    client.on_connect, client.on_message = on_connect, on_message
    client.connect_async(URL.hostname, URL.port or 1883, keepalive=10)
    client.loop_start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set()), signal.signal(signal.SIGINT, lambda *_: stop.set())

    def housekeeping():
        parent = setting('VOXBUS_EXIT_WITH_PID', None, int)
        next_metrics = time.monotonic() + METRICS_S
        while not stop.wait(min(1.0, METRICS_S)):
            if parent and not os.path.exists(f'/proc/{parent}'):
                stop.set()               # whoever started it is gone: nothing outlives it
            if HEALTH_FILE:              # a container's health check reads it
                open(HEALTH_FILE, 'w').write(f"{'online' if client.is_connected() else 'offline'} {int(time.time())}\n")
            if time.monotonic() >= next_metrics:
                next_metrics += METRICS_S
                playback.metrics(client.is_connected(), received[0])
    threading.Thread(target=housekeeping, daemon=True).start()
    playback.run(stop)
    client.publish(f'{BASE}/playback/status', playback.status('offline', 'stopped'), qos=1, retain=True).wait_for_publish(2)
    client.disconnect(), client.loop_stop(), log('info', 'stopped')


if __name__ == '__main__':
    main()
