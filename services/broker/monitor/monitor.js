// The monitor page: MQTT over WebSocket to this broker with the browser build of mqtt.js, no
// framework. It reads the contract's topics (docs/contract.md) and publishes the user commands a
// controller may (a monitor login sees everything and its commands are refused by the broker).
import mqtt from './vendor/mqtt.esm.js';

const $ = (id) => document.getElementById(id);
const MAX_TRANSCRIPTS = 40;
const MAX_TURNS = 10;

const settings = await (await fetch('config.json')).json();
const base = settings.baseTopic;
const topic = (path) => `${base}/${path}`;
let client;

/** Connects (with a login when the broker asks for one); a refused login shows the form again. */
function connect(login) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const id = Math.random().toString(16).slice(2, 10);
  client = mqtt.connect(`${scheme}://${location.host}${settings.wsPath}`, {
    protocolVersion: 4,
    clientId: login ? `${login.username}-monitor-${id}` : `monitor-${id}`,
    ...(login ? { username: login.username, password: login.password } : {}),
    reconnectPeriod: 2000,
  });
  client.on('connect', () => {
    setConnection('online', 'connected');
    $('login').hidden = true;
    $('monitor').hidden = false;
    client.subscribe(
      ['conversation/state', 'conversation/event/turn', 'realtime-gateway/event/transcript', 'realtime-gateway/event/error', 'dsp/event/levels', '+/status', '+/metrics', 'playback/state', 'audio-capture/state'].map(topic),
      { qos: 0 },
    );
  });
  client.on('close', () => setConnection('offline', 'disconnected, retrying…'));
  client.on('error', (error) => {
    // CONNACK 4 (bad user name or password) or 5 (not authorized): the login was refused.
    if (error.code === 4 || error.code === 5 || /not authori[sz]ed|bad user ?name or password/i.test(error.message)) {
      client.end(true);
      sessionStorage.removeItem('voxbus-login');
      showLogin(`The broker refused the login: ${error.message}`);
    }
  });
  client.on('message', (name, payload) => {
    let json;
    try {
      json = JSON.parse(payload.toString());
    } catch {
      return; // an empty (cleared) retained message, or not JSON: nothing to show
    }
    const path = name.slice(base.length + 1);
    const handler = HANDLERS[path] ?? (path.endsWith('/status') ? onStatus : path.endsWith('/metrics') ? onMetrics : undefined);
    handler?.(json, path);
  });
}

function setConnection(kind, text) {
  $('connection').className = `pill ${kind}`;
  $('connection').textContent = text;
}

function showLogin(message = '') {
  $('monitor').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  setConnection('offline', 'login needed');
}

/** Publishes a user command (JSON); a refusal by the broker shows as a dropped connection, said above. */
function command(path, payload = {}) {
  client?.publish(topic(path), JSON.stringify(payload), { qos: 1 });
}

// ---- what the bus says -------------------------------------------------------------------------

let conversation;
function onConversation(state) {
  conversation = state;
  $('state').textContent = state.state;
  $('phase').textContent = state.phase ? `(${state.phase})` : '';
  $('mode').textContent = state.mode;
  $('vad').textContent = state.vad;
  $('mic').textContent = state.micOpen ? 'open' : 'closed';
  $('mute-user').setAttribute('aria-pressed', String(state.muted.user));
  $('mute-assistant').setAttribute('aria-pressed', String(state.muted.assistant));
  $('mute-all').setAttribute('aria-pressed', String(state.muted.user && state.muted.assistant));
  $('error').textContent = state.lastError ? `${state.lastError.code}: ${state.lastError.message}` : '';
}

/** One line per item, streamed: deltas append until the final text replaces them. */
function onTranscript(event) {
  const list = $('transcripts');
  const key = `${event.role}:${event.itemId}`;
  let line = [...list.children].find((li) => li.dataset.key === key);
  if (!line) {
    line = document.createElement('li');
    line.dataset.key = key;
    line.className = `${event.role} streaming`;
    // What the person said is transcribed after the answer has begun: it goes before the answer's lines.
    const answer = event.role === 'user' ? firstAnswerSinceLastUser(list) : undefined;
    if (answer) list.insertBefore(line, answer);
    else list.append(line);
    while (list.children.length > MAX_TRANSCRIPTS) list.firstElementChild.remove();
  }
  if (event.kind === 'final') {
    line.textContent = event.text;
    line.classList.remove('streaming');
  } else {
    line.textContent += event.text;
  }
  list.scrollTop = list.scrollHeight;
}

/** The first of the assistant lines at the end of the list (none when the last line is the person's). */
function firstAnswerSinceLastUser(list) {
  let first;
  for (let li = list.lastElementChild; li?.classList.contains('assistant'); li = li.previousElementSibling) first = li;
  return first;
}

const turns = [];
function onTurn(turn) {
  turns.push(turn);
  if (turns.length > MAX_TURNS) turns.shift();
  const ms = (value) => (value === null || value === undefined ? '–' : `${Math.round(value)} ms`);
  $('turns').tBodies[0].replaceChildren(
    ...[...turns].reverse().map((t) => row([String(t.turn), t.outcome, ms(t.latencyMs.speechStoppedToFirstAudio), ms(t.heardMs)])),
  );
  // The latency chart: one bar per turn, oldest left, scaled to the slowest.
  const latencies = turns.map((t) => t.latencyMs.speechStoppedToFirstAudio ?? 0);
  const top = Math.max(...latencies, 1);
  const width = 300 / MAX_TURNS;
  $('latency-chart').replaceChildren(
    ...latencies.map((value, i) => {
      const bar = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
      const height = (value / top) * 76;
      for (const [name, number] of Object.entries({ x: i * width + 2, y: 80 - height, width: width - 4, height })) bar.setAttribute(name, String(number));
      const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
      title.textContent = `turn ${turns[i].turn}: ${Math.round(value)} ms`;
      bar.append(title);
      return bar;
    }),
  );
}

function onLevels(levels) {
  const show = (meter, label, level) => {
    $(meter).value = Math.max(-90, level.rmsDbfs);
    $(label).textContent = `${Math.round(level.rmsDbfs)} dBFS`;
  };
  show('meter-mic', 'mic-db', levels.input);
  show('meter-input', 'input-db', levels.output);
}

const services = new Map();
function service(name) {
  if (!services.has(name)) services.set(name, { status: undefined, metrics: undefined, cpuPercent: undefined });
  return services.get(name);
}
function onStatus(status, path) {
  service(path.split('/')[0]).status = status;
  drawServices();
}
function onMetrics(metrics, path) {
  const entry = service(path.split('/')[0]);
  const previous = entry.metrics;
  // CPU over the last period: the counters' difference over the time between two samples.
  if (previous && metrics.atMs > previous.atMs) {
    const cpuUs = metrics.process.cpuUserUs + metrics.process.cpuSystemUs - previous.process.cpuUserUs - previous.process.cpuSystemUs;
    entry.cpuPercent = (cpuUs / 1000 / (metrics.atMs - previous.atMs)) * 100;
  }
  entry.metrics = metrics;
  drawServices();
}
function drawServices() {
  const sum = (record) => Object.values(record ?? {}).reduce((a, b) => a + b, 0);
  const rows = [...services.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, s]) => {
    const bus = s.metrics?.bus;
    const errors = bus ? sum(bus.invalidReceived) + sum(bus.refusedPublishes) + sum(bus.droppedOutgoing) + sum(bus.droppedIncoming) + sum(bus.handlerErrors) : undefined;
    const tr = row([
      name,
      s.status ? (s.status.status === 'online' ? 'online' : `offline (${s.status.reason})`) : '–',
      s.metrics?.process.pssBytes ? `${(s.metrics.process.pssBytes / 2 ** 20).toFixed(1)} MiB` : '–',
      s.cpuPercent === undefined ? '–' : `${s.cpuPercent.toFixed(1)} %`,
      errors === undefined ? '–' : String(errors),
    ]);
    tr.dataset.service = name;
    tr.cells[1].className = s.status?.status ?? '';
    return tr;
  });
  $('services').tBodies[0].replaceChildren(...rows);
}

const deviceProblems = {};
function onDevice(state, path) {
  deviceProblems[path] = state.error ? `${path.split('/')[0]}: ${state.error.code}: ${state.error.message}` : '';
  $('devices').textContent = Object.values(deviceProblems).filter(Boolean).join(' · ');
  if (path === 'playback/state' && document.activeElement !== $('volume')) {
    $('volume').value = String(state.volume);
    $('volume-value').textContent = String(state.volume);
  }
}

function onError(error) {
  $('error').textContent = `${error.fatal ? 'fatal ' : ''}${error.code ?? error.type}: ${error.message}`;
}

const HANDLERS = {
  'conversation/state': onConversation,
  'conversation/event/turn': onTurn,
  'realtime-gateway/event/transcript': onTranscript,
  'realtime-gateway/event/error': onError,
  'dsp/event/levels': onLevels,
  'playback/state': onDevice,
  'audio-capture/state': onDevice,
};

function row(cells) {
  const tr = document.createElement('tr');
  for (const cell of cells) {
    const td = document.createElement('td');
    td.textContent = cell;
    tr.append(td);
  }
  return tr;
}

// ---- controls ----------------------------------------------------------------------------------

const toggleMute = (target, muted) => command(`conversation/cmd/${muted ? 'unmute' : 'mute'}`, { target });
$('mute-user').onclick = () => toggleMute('user', conversation?.muted.user ?? false);
$('mute-assistant').onclick = () => toggleMute('assistant', conversation?.muted.assistant ?? false);
$('mute-all').onclick = () => toggleMute('all', (conversation?.muted.user && conversation?.muted.assistant) ?? false);
for (const name of ['pause', 'resume', 'end', 'start']) $(name).onclick = () => command(`conversation/cmd/${name}`);
$('volume').oninput = () => {
  $('volume-value').textContent = $('volume').value;
};
$('volume').onchange = () => command('playback/cmd/volume', { volume: Number($('volume').value) });
const ptt = $('ptt');
ptt.onpointerdown = () => {
  ptt.classList.add('held');
  command('conversation/cmd/ptt-start');
};
ptt.onpointerup = ptt.onpointerleave = () => {
  if (!ptt.classList.contains('held')) return;
  ptt.classList.remove('held');
  command('conversation/cmd/ptt-stop');
};
$('say').onsubmit = (event) => {
  event.preventDefault();
  const text = $('say-text').value.trim();
  if (text === '') return;
  command('realtime-gateway/cmd/say', { text });
  $('say-text').value = '';
};
$('login').onsubmit = (event) => {
  event.preventDefault();
  const form = new FormData($('login'));
  const login = { username: String(form.get('username')), password: String(form.get('password')) };
  sessionStorage.setItem('voxbus-login', JSON.stringify(login));
  connect(login);
};

const saved = sessionStorage.getItem('voxbus-login');
if (settings.loginRequired && saved === null) showLogin();
else connect(saved === null ? undefined : JSON.parse(saved));
