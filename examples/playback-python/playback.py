#!/usr/bin/python3
"""voxbus's playback in Python, from docs/contract.md, on Debian's python3-paho-mqtt (1.6, v1 API) and python3-alsaaudio (0.8) only: it plays
`audio/output`, says per item what was heard, publishes the echo reference (`audio/played`) and obeys flush, pause, volume, mute and earcons."""
import json, math, os, signal, socket, struct, sys, threading, time
from collections import Counter, OrderedDict, deque
from urllib.parse import urlparse

import alsaaudio
import paho.mqtt.client as mqtt

SERVICE, VERSION = 'playback', '0.2.0'
RATE, PERIOD, PERIODS = 24000, 240, 4   # the device: 24 kHz mono s16le, 10 ms periods, 4 in its buffer (as pyalsaaudio 0.8 asks)
FRAME, EDGE, REMEMBERED = RATE // 50, RATE // 200, 64   # audio/played in 20 ms frames; 5 ms edges on earcon notes; items remembered
EARCONS = {'listening': ((660, 80), (880, 80)), 'thinking': ((523, 110),), 'error': ((440, 135), (330, 135))}
LEVELS = {'trace': 10, 'debug': 20, 'info': 30, 'warn': 40, 'error': 50, 'fatal': 60, 'silent': 99}

monotonic_us = lambda: time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000  # noqa: E731 (the clock of every captureTimeUs and timeUs)

def log(level, msg, **fields):   # JSON lines on stdout, each in one write
    if LEVELS[level] >= LEVELS.get(os.environ.get('VOXBUS_LOG__LEVEL'), 30):
        print(json.dumps({'level': LEVELS[level], 'time': int(time.time() * 1000), 'service': SERVICE, 'msg': msg, **fields}) + '\n', end='', flush=True)

def setting(name, default, wanted, parse=str, ok=bool):   # from the environment; a bad value exits 78 (EX_CONFIG: not restarted)
    raw = os.environ.get(name)
    try:
        value = default if raw is None else parse(raw)
        if raw is None or ok(value):
            return value
    except (ValueError, OSError):
        pass
    sys.exit(log('fatal', f'configuration: {name}={"***" if name.endswith("PASSWORD") else repr(raw)} is not valid: {wanted} wanted') or 78)

for unknown in [name for name in os.environ if name.startswith('VOXBUS_PLAYBACK__') and name[17:] not in ('DEVICE', 'VOLUME', 'REOPEN_INITIAL_MS')]:
    setting(unknown, None, 'a name this playback knows (VOXBUS_PLAYBACK__DEVICE, _VOLUME, _REOPEN_INITIAL_MS)', ok=lambda _: False)
URL = setting('VOXBUS_BUS__URL', urlparse('mqtt://127.0.0.1:1883'), 'mqtt://host:port', urlparse, lambda url: url.scheme == 'mqtt' and url.hostname and url.port != 0)
BASE = setting('VOXBUS_BUS__BASE_TOPIC', 'voxbus', 'topic levels', ok=lambda topic: topic and not set(topic) & set('+#') and '' not in topic.split('/'))
USERNAME = setting('VOXBUS_BUS__USERNAME', None, 'a login', lambda name: name.replace('{service}', SERVICE), lambda _: True)
PASSWORD = setting('VOXBUS_BUS__PASSWORD_FILE', None, 'a readable file', lambda path: open(path.replace('{service}', SERVICE)).readline().rstrip('\r\n'), lambda _: True) \
    or setting('VOXBUS_BUS__PASSWORD', None, 'a password', ok=lambda _: True)
KEEPALIVE_S = setting('VOXBUS_BUS__KEEPALIVE_S', 10, 'an integer from 1 to 600', int, lambda s: 1 <= s <= 600)
LOG_LEVEL = setting('VOXBUS_LOG__LEVEL', 'info', '/'.join(LEVELS), ok=LEVELS.__contains__)
METRICS_MS = setting('VOXBUS_METRICS_INTERVAL_MS', 10000, 'an integer of at least 500', int, lambda ms: ms >= 500)
EXIT_WITH_PID = setting('VOXBUS_EXIT_WITH_PID', None, 'a process id', int, lambda pid: pid >= 2)
HEALTH_FILE = setting('VOXBUS_HEALTH_FILE', None, 'a file name')
DEVICE = setting('VOXBUS_PLAYBACK__DEVICE', 'default', 'an ALSA PCM name')
VOLUME = setting('VOXBUS_PLAYBACK__VOLUME', 1.0, 'a number from 0 to 4', float, lambda volume: 0 <= volume <= 4)
REOPEN_MS = setting('VOXBUS_PLAYBACK__REOPEN_INITIAL_MS', 500, 'an integer of at least 50', int, lambda ms: ms >= 50)   # then doubling, up to 10 s
'VOXBUS_CONFIG' in os.environ and log('warn', 'VOXBUS_CONFIG is not read: this playback takes its settings from the environment only')
STARTED_AT, STARTED = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), time.monotonic()
INVALID = (ValueError, struct.error, IndexError)   # a message that breaks the contract: dropped, counted and logged
FIELDS = {'flush': {}, 'mute': {}, 'unmute': {}, 'resume': {}, 'pause': {'forMs': lambda ms: type(ms) is int and 1 <= ms <= 5000}, 'volume': {'volume': lambda v: type(v) in (int, float) and 0 <= v <= 4},   # closed objects
          'earcon': {'name': lambda name: type(name) is str and name in EARCONS}, 'describe': {'requestId': lambda r: type(r) is str and 0 < len(r) <= 128}}

def decode_frame(data):
    """An audio/output frame: (responseId, itemId, pcm), pcm None if not 24 kHz mono s16le; raises INVALID if it breaks the contract."""
    sample_format, channels, flags, header, _, rate, _, count = struct.unpack_from('<BBBHHIII', data, 5)
    width, r = {1: 2, 2: 4, 3: 4}.get(sample_format), data[36]
    i = data[37 + r]
    if not (data[:5] == b'VXAF\x01' and width and 1 <= channels <= 32 and 8000 <= rate <= 384000 and count <= rate and flags & 1 and i
            and header >= 38 + r + i and len(data) - header == count * channels * width):
        raise ValueError(f'bad frame: format {sample_format}, {channels} ch, {rate} Hz, {count} frames, {len(data)} bytes, header {header}')
    return data[37:37 + r].decode(), data[38 + r:38 + r + i].decode(), data[header:] if (sample_format, channels, rate) == (1, 1, RATE) else None

def tone(notes):
    """An earcon: sines at a quarter of full scale, each note with 5 ms edges (no clicks)."""
    return b''.join(struct.pack(f'<{n}h', *(round(8192 * min(1, i / EDGE, (n - i) / EDGE) * math.sin(2 * math.pi * hz * i / RATE)) for i in range(n)))
                    for hz, n in ((hz, RATE * ms // 1000) for hz, ms in notes))

def scaled(pcm, start, end):
    """pcm times a gain gliding from start to end over it: a change of volume glides over a period."""
    if start == end == 1 or not any(pcm):
        return bytes(pcm)
    n = len(pcm) // 2
    return struct.pack(f'<{n}h', *(max(-32768, min(32767, round(s * (start + (end - start) * k / n)))) for k, s in enumerate(struct.unpack(f'<{n}h', pcm))))

class Item:
    def __init__(self, response_id, item_id):   # in samples: received, queued (not yet written), written, heard
        self.response_id, self.item_id, self.entered_us, self.sounding = response_id, item_id, None, False
        self.received = self.queued = self.written = self.heard = 0

class Playback:
    def __init__(self, client):
        self.client, self.lock, self.connected, self.stop = client, threading.RLock(), False, threading.Event()
        self.audio = threading.Thread(target=self.run)   # started on connecting
        self.items, self.live, self.flushed = OrderedDict(), OrderedDict(), deque(maxlen=2 * REMEMBERED)   # recent; playing or queued; cut ids
        self.chunks, self.in_device = deque(), deque()   # to play: [item, pcm]; per period written: (item, samples)
        self.volume, self.muted, self.gain, self.state, self.since_ms = VOLUME, False, VOLUME, 'opening', time.time() * 1000
        self.granted = self.error = self.retry_ms = None
        self.counters, self.bus, self.maps = Counter(), Counter(), {name: Counter() for name in ('invalidReceived', 'droppedOutgoing', 'handlerErrors')}
        self.ref_pcm, self.ref_sequence, self.ref_us, self.late, self.held_until = bytearray(), 0, 0, 0, 0   # held: paused until (monotonic s)
    def publish(self, path, payload, qos=1, retain=False):
        if not self.connected:   # nothing waits while disconnected: the retained messages are published again on connecting
            return self.maps['droppedOutgoing'].update([path.replace('/', '.')])
        self.bus['published'] += 1
        return self.client.publish(f'{BASE}/{path}', payload if isinstance(payload, bytes) else json.dumps(payload), qos=qos, retain=retain)
    def status(self, status, reason):
        return json.dumps({'status': status, 'reason': reason, 'service': SERVICE, 'version': VERSION, 'startedAt': STARTED_AT, 'pid': os.getpid(),
                           'host': socket.gethostname()}).encode()
    def publish_state(self, state=None):
        with self.lock:
            self.state, self.since_ms = (state, time.time() * 1000) if state not in (None, self.state) else (self.state, self.since_ms)
            error = self.error if self.state == 'error' else None
            self.publish('playback/state', {'state': self.state, 'device': DEVICE, 'granted': self.granted, 'error': error, 'retryInMs': error and self.retry_ms,
                                            'sinceMs': self.since_ms, 'volume': self.volume, 'muted': self.muted}, retain=True)
    def event(self, kind, item, heard=None):
        self.publish('playback/event/item', {'kind': kind, 'itemId': item.item_id, 'responseId': item.response_id, 'heardMs': round(
            (item.heard if heard is None else heard) * 1000 / RATE), 'receivedMs': round(item.received * 1000 / RATE), 'enteredDeviceUs': item.entered_us,
            'timeUs': monotonic_us()}, qos=0)
    def on_connect(self, client, _userdata, _flags, rc):
        if rc != 0:
            return log('error', 'the broker refused the connection', rc=rc)
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connected, self.bus['connects'] = True, self.bus['connects'] + 1
        client.subscribe([(f'{BASE}/audio/output', 0), (f'{BASE}/playback/cmd/+', 1), (f'{BASE}/playback/req/describe', 1)])
        self.publish('playback/status', self.status('online', 'running'), retain=True)
        self.publish_state()   # on every connect: a restarted broker may have lost it
        self.audio.ident or self.audio.start()   # the device is opened once connected, so that `opening` is seen before `idle`
        log('info', 'connected', url=URL.geturl())
    def on_message(self, _client, _userdata, message):
        """A message on a subscribed topic; one that is not valid (bad JSON, a bad frame, a command off its schema) is dropped, counted and logged."""
        self.bus['received'] += 1
        path, name = message.topic[len(BASE) + 1:], message.topic.rsplit('/', 1)[-1]
        key = 'audio.output' if path == 'audio/output' else 'service.describe.req' if name == 'describe' else f'playback.cmd.{name}'
        try:
            if path == 'audio/output':
                return self.take_frame(message.payload)
            payload, fields = json.loads(message.payload), FIELDS.get(name, {'?': None})
            if not isinstance(payload, dict) or payload.keys() != fields.keys() or not all(ok(payload[field]) for field, ok in fields.items()):
                raise ValueError(f'not as its schema says: {message.payload[:200]!r}')
            if name in ('describe', 'flush', 'earcon'):
                return self.describe(payload['requestId']) if name == 'describe' else self.earcon(payload['name']) if name == 'earcon' else self.flush()
            with self.lock:   # pause (for forMs) and resume: nothing is taken from the queue until then, positions stand still; a flush ends it
                self.held_until = time.monotonic() + payload.get('forMs', 0) / 1000 if name in ('pause', 'resume') else self.held_until
                self.volume, self.muted = float(payload.get('volume', self.volume)), {'mute': True, 'unmute': False}.get(name, self.muted)
                name in ('pause', 'resume') or self.publish_state()
        except Exception as error:   # INVALID: not valid; anything else a bug, which must not reach paho (its network thread would die)
            self.maps['invalidReceived' if isinstance(error, INVALID) else 'handlerErrors'][key] += 1
            log('warn', 'message dropped', topic=message.topic, err=repr(error)[:300])
    def take_frame(self, data):
        """An audio/output frame: queued behind what its item (and any other) has queued, in arrival order."""
        response_id, item_id, pcm = decode_frame(data)
        with self.lock:
            drop = 'droppedAfterFlush' if item_id in self.flushed or response_id in self.flushed else \
                'unsupportedFormat' if pcm is None else 'droppedNoDevice' if self.granted is None else 'received'
            self.counters[f'frames.{drop}'] += 1
            if drop != 'received':
                return drop == 'unsupportedFormat' and log('warn', f'frame dropped: only {RATE} Hz mono s16le is played', itemId=item_id)
            self.items[item_id] = item = self.items.pop(item_id, None) or Item(response_id, item_id)   # the most recent last
            len(self.items) > REMEMBERED and self.items.popitem(last=False)   # the oldest forgotten
            self.enqueue(item, pcm)
    def enqueue(self, item, pcm):   # received, to be played after everything queued so far
        if pcm:
            self.chunks[-1][1].extend(pcm) if self.chunks and self.chunks[-1][0] is item else self.chunks.append([item, bytearray(pcm)])
            item.received, item.queued, self.live[item.item_id] = item.received + len(pcm) // 2, item.queued + len(pcm) // 2, item
    def earcon(self, name):
        with self.lock:
            self.counters['earcons' if self.granted else 'frames.droppedNoDevice'] += 1
            if self.granted:   # an item of its own, heard from 0 (unless one of that name is still to play: then it goes on)
                self.enqueue(self.live.get(f'earcon:{name}') or Item('', f'earcon:{name}'), tone(EARCONS[name]))
    def flush(self):
        """Each live item ends `flushed` at what was written (what is in the device's buffer still plays out); silence from then on."""
        with self.lock:
            self.counters['flushes'] += 1
            for item in self.live.values():
                self.event('flushed', item, item.written)
            self.flushed.extend(key for item in self.items.values() for key in (item.item_id, item.response_id) if key)   # their late frames: dropped
            self.live.clear(), self.chunks.clear(), setattr(self, 'held_until', 0)
            self.state == 'playing' and self.publish_state('idle')
    def next_period(self):
        """The next period to write, the item it is of (None: silence) and how many samples of it."""
        with self.lock:
            pcm, item = b'', None
            if self.chunks and time.monotonic() >= self.held_until:
                item, queued = self.chunks[0]
                pcm = bytes(queued[:PERIOD * 2])
                del queued[:PERIOD * 2]
                queued or self.chunks.popleft()
                item.queued, item.written, item.entered_us = item.queued - len(pcm) // 2, item.written + len(pcm) // 2, item.entered_us or monotonic_us()
            return pcm + bytes(PERIOD * 2 - len(pcm)), item, len(pcm) // 2 if item else 0
    def heard(self, item, samples):
        """A period of `item` came out of the speaker (PERIODS more were written after it): started, a position every 100 ms, drained."""
        with self.lock:
            if item is None or self.live.get(item.item_id) is not item:
                return
            was, item.heard = item.heard, item.heard + samples
            if not item.sounding:
                item.sounding = True
                self.event('started', item), self.state != 'playing' and self.publish_state('playing')
            elif item.heard * 10 // RATE != was * 10 // RATE:
                self.event('position', item)
            if item.queued == 0 and item.heard >= item.written:   # all it received was heard: drained, unless another is to play
                item.sounding = False
                del self.live[item.item_id]
                self.event('position' if self.live else 'drained', item)
                self.live or self.publish_state('idle')
    def played(self, pcm, before, after):
        """The echo reference: what was written, in 20 ms frames each stamped when heard, the last one's time plus its length. After a write
        that blocked, the buffer is full and the period is heard PERIODS - 1 later: the times slew to that, and jump if off by > 15 ms
        five times running (an underrun, which pyalsaaudio recovers from, moved the device's timeline; a late wake-up does not)."""
        if after - before > 2000:
            error = after + (PERIODS - 1) * PERIOD * 1e6 / RATE - self.ref_us - len(self.ref_pcm) * 1e6 / 2 / RATE
            self.late = self.late + 1 if abs(error) > 15000 else 0
            self.ref_us += error if self.late == 5 else 0 if self.late else error / 200
            self.counters['reference.timeJumps'] += self.late == 5
        self.ref_pcm += pcm
        while len(self.ref_pcm) >= FRAME * 2:
            header = struct.pack('<4sBBBBHHIIIQ', b'VXAF', 1, 1, 1, 0, 32, 0, RATE, self.ref_sequence & 0xFFFFFFFF, FRAME, round(self.ref_us))
            self.publish('audio/played', header + bytes(self.ref_pcm[:FRAME * 2]), qos=0)
            self.ref_sequence, self.ref_us, self.ref_pcm = self.ref_sequence + 1, self.ref_us + FRAME * 1e6 / RATE, self.ref_pcm[FRAME * 2:]
    def run(self):
        """The audio thread: the device is written continuously (silence when nothing plays); its blocking writes set the pace."""
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})   # the main thread takes them: no EINTR in a write
        retry_ms = REOPEN_MS
        while not self.stop.is_set():
            device, code = None, 'device_error'
            try:
                device = alsaaudio.PCM(alsaaudio.PCM_PLAYBACK, alsaaudio.PCM_NORMAL, device=DEVICE)
                granted = device.setchannels(1), device.setrate(RATE), device.setformat(alsaaudio.PCM_FORMAT_S16_LE), device.setperiodsize(PERIOD)
                if granted != (1, RATE, alsaaudio.PCM_FORMAT_S16_LE, PERIOD):
                    raise alsaaudio.ALSAAudioError(f'granted (channels, rate, format, period) {granted}, not mono {RATE} Hz s16le in 10 ms: use a plug device')
                with self.lock:
                    self.granted = {'device': DEVICE, 'sampleRateHz': RATE, 'channels': 1, 'sampleFormat': 's16le', 'periodFrames': PERIOD, 'bufferFrames': PERIOD * PERIODS}
                    self.ref_us, self.ref_pcm, self.error, code, retry_ms = monotonic_us(), bytearray(), None, 'device_lost', REOPEN_MS
                    self.publish_state('idle')
                log('info', 'speaker open', granted=self.granted)
                while not self.stop.is_set():
                    pcm, item, samples = self.next_period()
                    pcm, self.gain = scaled(pcm, self.gain, 0.0 if self.muted else self.volume), 0.0 if self.muted else self.volume
                    before = monotonic_us()
                    device.write(pcm)
                    self.played(pcm, before, monotonic_us())
                    self.in_device.append((item, samples))
                    len(self.in_device) > PERIODS and self.heard(*self.in_device.popleft())
            except alsaaudio.ALSAAudioError as error:   # what was live ends `flushed` at what was heard; `error` until the device opens again
                code = next((name for clue, name in (('No such', 'device_not_found'), ('busy', 'device_busy'), ('ermission', 'permission_denied'),
                                                     ('granted', 'unsupported_format')) if clue in str(error)), code)
                with self.lock:
                    for item in self.live.values():
                        self.event('flushed', item)
                    self.live.clear(), self.chunks.clear(), self.in_device.clear()
                    self.granted, self.error, self.retry_ms = None, {'code': code, 'message': f'{DEVICE}: {error}'}, retry_ms
                    self.counters.update(['device.errors']), self.publish_state('error')
                log('error', 'speaker unavailable', code=code, err=str(error), retryInMs=retry_ms)
                self.stop.wait(retry_ms / 1000)
                retry_ms = min(retry_ms * 2, 10000)
            finally:
                device and device.close()
        self.publish_state('stopped')
    def describe(self, request_id):
        common = {'bus': {'url': URL.geturl(), 'baseTopic': BASE, 'keepaliveS': KEEPALIVE_S, 'username': USERNAME,
                          'password': PASSWORD and '***'}, 'log': {'level': LOG_LEVEL}, 'metricsIntervalMs': METRICS_MS}
        self.publish('playback/res/describe', {'requestId': request_id, 'ok': True, 'data': {'service': SERVICE, 'version': VERSION, 'startedAt': STARTED_AT,
                     'configVersion': 1, 'config': {'common': common, SERVICE: {'device': DEVICE, 'volume': VOLUME, 'reopenInitialMs': REOPEN_MS}}}})
    def metrics(self):
        usage, rss = os.times(), int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
        with self.lock:
            self.publish('playback/metrics', {
                'service': SERVICE, 'atMs': time.time() * 1000, 'uptimeMs': (time.monotonic() - STARTED) * 1000,
                'process': {'rssBytes': rss, 'pssBytes': None, 'heapUsedBytes': None, 'cpuUserUs': int(usage.user * 1e6), 'cpuSystemUs': int(usage.system * 1e6),
                            'eventLoopDelayP99Ms': None},
                'bus': {'connected': self.connected, 'reconnects': max(0, self.bus['connects'] - 1), 'published': self.bus['published'], 'received': self.bus['received'],
                        'refusedPublishes': {}, 'droppedIncoming': {}, 'queueDepthMax': 0, **{name: dict(counts) for name, counts in self.maps.items()}},
                'counters': {**self.counters, 'queue.frames': sum(len(pcm) // 2 for _, pcm in self.chunks)}}, qos=0)

def main():
    client = mqtt.Client(f'{USERNAME or SERVICE}-{os.urandom(4).hex()}', clean_session=True, protocol=mqtt.MQTTv311)
    threading.excepthook = lambda hook: os._exit(log('fatal', 'crashed', err=repr(hook.exc_value)) or 1)   # a bug: exit, to be restarted
    playback = Playback(client)
    USERNAME and client.username_pw_set(USERNAME, PASSWORD)
    client.will_set(f'{BASE}/playback/status', playback.status('offline', 'connection_lost'), qos=1, retain=True)
    client.on_connect, client.on_message = playback.on_connect, playback.on_message
    client.on_disconnect = lambda _client, _userdata, rc: setattr(playback, 'connected', False) or log('warn' if rc else 'info', 'disconnected', rc=rc)
    client.on_connect_fail = lambda _client, _userdata: log('warn', 'cannot reach the broker', url=URL.geturl())
    client.reconnect_delay_set(1, 10)
    client.connect_async(URL.hostname, URL.port or 1883, keepalive=KEEPALIVE_S)
    client.loop_start()
    signal.signal(signal.SIGTERM, lambda *_: playback.stop.set())
    signal.signal(signal.SIGINT, lambda *_: playback.stop.set())
    next_metrics = time.monotonic() + METRICS_MS / 1000
    while not playback.stop.wait(min(1, METRICS_MS / 1000)):   # until SIGTERM or SIGINT
        if EXIT_WITH_PID and not os.path.exists(f'/proc/{EXIT_WITH_PID}'):
            playback.stop.set()   # whoever started it is gone: nothing outlives it
        try:   # the health file's age says the process is alive, its first word whether the bus is connected
            HEALTH_FILE and open(HEALTH_FILE, 'w').write(f"{'on' if playback.connected else 'off'}line {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n")
        except OSError as error:
            log('warn', 'health file not written', err=str(error))
        if time.monotonic() >= next_metrics:
            next_metrics += METRICS_MS / 1000
            playback.metrics()
    playback.audio.ident and playback.audio.join()
    info = playback.publish('playback/status', playback.status('offline', 'stopped'), retain=True)
    info is not None and info.rc == mqtt.MQTT_ERR_SUCCESS and info.wait_for_publish(2)
    client.disconnect(), client.loop_stop()
    HEALTH_FILE and os.path.exists(HEALTH_FILE) and os.remove(HEALTH_FILE)
    os._exit(log('info', 'stopped') or 0)

if __name__ == '__main__':
    main()
