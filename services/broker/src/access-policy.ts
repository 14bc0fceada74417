import {
  ANYONE_PUBLISHES,
  type BusRole,
  CONTRACT,
  EVERY_SERVICE_PUBLISHES,
  filterLevelsMatch,
  HOME_ASSISTANT_PREFIX,
  KNOWN_SERVICES,
  PRIVATE_AUDIO,
  SERVICE_PUBLISHES,
  STANDS_IN_FOR,
  type TopicKey,
  USER_COMMANDS,
} from '@voxbus/shared';

/** What one logged-in client may do; made once at CONNECT, asked on every PUBLISH, SUBSCRIBE and delivery. */
export interface Grant {
  readonly username: string | undefined;
  readonly role: BusRole | 'open';
  canPublish(topic: string): boolean;
  canSubscribe(filter: string): boolean;
  /** Asked per delivered message: only monitors and controllers without `hearAudio` are ever told no. */
  canReceive(topic: string): boolean;
}

const SYS = '$SYS';
const isSys = (topicOrFilter: string): boolean => topicOrFilter.startsWith(SYS);

/** The filter a contract key's path makes under the base topic; `{service}` is the login name, other placeholders any level. */
function filterOf(baseTopic: string, key: TopicKey, service: string | undefined): string {
  const path = CONTRACT[key].path.replace(/\{(\w+)\}/g, (_match, name: string) => (name === 'service' && service !== undefined ? service : '+'));
  return `${baseTopic}/${path}`;
}

/** Answers remembered per grant: a service publishes a handful of topics, fifty times a second each. */
const MAX_REMEMBERED_TOPICS = 256;

/**
 * Whether a topic matches any of the filters: the filters split once, each topic once, and the
 * answer remembered (forgotten all at once when a client publishes to more topics than that, as a fuzzer does).
 */
export function anyFilterMatcher(filters: readonly string[]): (topic: string) => boolean {
  const splitFilters = filters.map((filter) => filter.split('/'));
  const answers = new Map<string, boolean>();
  return (topic) => {
    const known = answers.get(topic);
    if (known !== undefined) return known;
    const levels = topic.split('/');
    const answer = splitFilters.some((filter) => filterLevelsMatch(filter, levels));
    if (answers.size >= MAX_REMEMBERED_TOPICS) answers.clear();
    answers.set(topic, answer);
    return answer;
  };
}

/** Without access control (loopback, or one shared password): any topic but `$SYS`, which nobody but an admin reads. */
export const OPEN_GRANT: Grant = {
  username: undefined,
  role: 'open',
  canPublish: (topic) => !isSys(topic),
  canSubscribe: (filter) => !isSys(filter),
  canReceive: () => true,
};

/** Under access rules, a client with no grant of its own (it should not exist): nothing. */
export const DENY_GRANT: Grant = { username: undefined, role: 'open', canPublish: () => false, canSubscribe: () => false, canReceive: () => false };

export function grantFor(user: { readonly username: string; readonly role: BusRole; readonly hearAudio: boolean }, baseTopic: string): Grant {
  const { username, role } = user;
  if (role === 'admin') return { username, role, canPublish: () => true, canSubscribe: () => true, canReceive: () => true };
  const keys: TopicKey[] = [...ANYONE_PUBLISHES];
  // A service's own name, and those it stands in for (the telephony bridge's audio-capture and playback).
  const names = role === 'service' ? [username, ...(STANDS_IN_FOR[username as (typeof KNOWN_SERVICES)[number]] ?? [])] : [];
  for (const name of names) if ((KNOWN_SERVICES as readonly string[]).includes(name)) keys.push(...SERVICE_PUBLISHES[name as (typeof KNOWN_SERVICES)[number]]);
  if (role === 'controller') keys.push(...USER_COMMANDS);
  // `{service}` in a service's own topics is its name (each name it publishes as); anyone's describe request may go to any service.
  const publish = keys.map((key) => filterOf(baseTopic, key, undefined));
  for (const name of names) publish.push(...EVERY_SERVICE_PUBLISHES.map((key) => filterOf(baseTopic, key, name)));
  // Outside the base topic, Home Assistant's own: the bridge's discovery configs, and Home
  // Assistant (logged in as a controller) saying it is online (its birth and Last Will).
  if (role === 'service' && username === 'home-assistant') publish.push(`${HOME_ASSISTANT_PREFIX}/#`);
  if (role === 'controller') publish.push(`${HOME_ASSISTANT_PREFIX}/status`);
  const hidden = role === 'service' || user.hearAudio ? [] : PRIVATE_AUDIO.map((key) => filterOf(baseTopic, key, undefined));
  const mayPublish = anyFilterMatcher(publish);
  const isHidden = anyFilterMatcher(hidden);
  return {
    username,
    role,
    canPublish: mayPublish,
    canSubscribe: (filter) => !isSys(filter),
    canReceive: hidden.length === 0 ? () => true : (topic) => !isHidden(topic),
  };
}

/**
 * A client id must be the login name or start with it and a dash (`dsp-1a2b3c4d`): with ids bound
 * to logins, nobody can take a service's session over by connecting with its id.
 */
export function clientIdFits(username: string, clientId: string): boolean {
  return clientId === username || clientId.startsWith(`${username}-`);
}
