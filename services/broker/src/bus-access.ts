import { createHash } from 'node:crypto';
import type { AuthenticateError, Client } from 'aedes';
import { type Logger, type MetricsRegistry, RateLimitedLog } from '@voxbus/shared';
import { clientIdFits, DENY_GRANT, type Grant, grantFor, OPEN_GRANT } from './access-policy.js';
import { type Credentials, credentialsMatch } from './auth.js';
import { LoginThrottle } from './login-throttle.js';
import { verifyPassword } from './password-hash.js';
import type { BusUser } from './users-file.js';

/** How the broker lets clients in: open (loopback), one shared login, or a users file with roles. */
export type AccessMode =
  | { readonly kind: 'open' }
  | { readonly kind: 'shared'; readonly credentials: Credentials }
  | { readonly kind: 'users'; readonly users: ReadonlyMap<string, BusUser> };

export interface BusAccessOptions {
  readonly mode: AccessMode;
  readonly baseTopic: string;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
  readonly loginFreeFailures: number;
  readonly loginMaxBlockMs: number;
  readonly nowMs?: () => number;
}

/** MQTT 3.1.1 CONNACK return codes. */
const IDENTIFIER_REJECTED = 2;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function refusal(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/** The address a client came from (TCP, or the HTTP request of a WebSocket). */
function addressOf(client: Client): string {
  const conn = client.conn as { remoteAddress?: string };
  return client.req?.socket.remoteAddress ?? conn.remoteAddress ?? 'unknown';
}

const fingerprint = (password: Buffer): string => createHash('sha256').update(password).digest('hex');

/**
 * Who is let in, and what each may do: the login (with failed logins throttled per address and
 * client ids bound to logins), then a Grant per client that the broker asks on every publish,
 * subscription and delivery.
 */
export class BusAccess {
  private readonly grants = new WeakMap<Client, Grant>();
  private readonly throttle: LoginThrottle;
  /** Logins whose password was verified (its SHA-256): a reconnect costs no scrypt. */
  private readonly verified = new Map<string, string>();
  private readonly problems: RateLimitedLog;
  private readonly counters;

  constructor(private readonly o: BusAccessOptions) {
    const nowMs = o.nowMs ?? Date.now;
    this.throttle = new LoginThrottle({ freeFailures: o.loginFreeFailures, maxBlockMs: o.loginMaxBlockMs, maxAddresses: 1024, nowMs });
    this.problems = new RateLimitedLog(o.log, 10_000, nowMs);
    this.counters = {
      rejectedAuth: o.metrics.counter('clients.rejectedAuth'),
      throttled: o.metrics.counter('clients.loginThrottled'),
      rejectedId: o.metrics.counter('clients.rejectedClientId'),
      deniedPublish: o.metrics.counter('publishes.denied'),
      deniedSubscribe: o.metrics.counter('subscriptions.denied'),
    };
  }

  get enforcing(): boolean {
    return this.o.mode.kind === 'users';
  }

  authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: (error: AuthenticateError | null, success: boolean | null) => void): void {
    const { mode } = this.o;
    if (mode.kind === 'open') {
      this.grants.set(client, OPEN_GRANT);
      done(null, true);
      return;
    }
    const address = addressOf(client);
    const waitMs = this.throttle.blockedForMs(address);
    // A blocked address may still log in with a password this broker has verified before (a
    // service reconnecting from 127.0.0.1 after someone's typos there); it cannot guess one.
    if (waitMs > 0 && !this.knownGood(username, password)) {
      this.counters.throttled.inc();
      this.problems.warn('throttled', { address, waitMs }, 'login refused unchecked: too many failed logins from this address');
      done(refusal('too many failed logins: try again later', NOT_AUTHORIZED), false);
      return;
    }
    this.check(client, username, password).then(
      (problem) => {
        if (problem === undefined) {
          this.throttle.succeeded(address);
          done(null, true);
          return;
        }
        // A wrong client id after the right password is a mistake, not a guess.
        if (problem.returnCode === IDENTIFIER_REJECTED) this.counters.rejectedId.inc();
        else {
          this.throttle.failed(address);
          this.counters.rejectedAuth.inc();
        }
        this.problems.warn('login refused', { clientId: client.id, username, address }, `client refused: ${problem.message}`);
        done(problem, false);
      },
      (error: unknown) => done(refusal(`login check failed: ${(error as Error).message}`, BAD_USERNAME_OR_PASSWORD), false),
    );
  }

  private knownGood(username: string | undefined, password: Buffer | undefined): boolean {
    return username !== undefined && password !== undefined && this.verified.get(username) === fingerprint(password);
  }

  /** Undefined when the login holds (and its grant is kept), else why not. */
  private async check(client: Client, username: string | undefined, password: Buffer | undefined): Promise<AuthenticateError | undefined> {
    const { mode } = this.o;
    if (mode.kind === 'shared') {
      if (!credentialsMatch(mode.credentials, username, password)) return refusal('bad username or password', BAD_USERNAME_OR_PASSWORD);
      this.verified.set(username as string, fingerprint(password as Buffer));
      this.grants.set(client, OPEN_GRANT);
      return undefined;
    }
    if (mode.kind !== 'users') return undefined;
    const user = username === undefined ? undefined : mode.users.get(username);
    if (user === undefined || password === undefined) return refusal('bad username or password', BAD_USERNAME_OR_PASSWORD);
    const print = fingerprint(password);
    if (this.verified.get(user.username) !== print) {
      if (!(await verifyPassword(user.passwordHash, password))) return refusal('bad username or password', BAD_USERNAME_OR_PASSWORD);
      this.verified.set(user.username, print);
    }
    // The id belongs to the longest login it fits: `audio` may not use `audio-capture-…`.
    const owner = [...mode.users.keys()].filter((name) => clientIdFits(name, client.id)).sort((a, b) => b.length - a.length)[0];
    if (owner !== user.username) return refusal(`client id ${client.id} does not belong to ${user.username} (use ${user.username}-…)`, IDENTIFIER_REJECTED);
    this.grants.set(client, grantFor(user, this.o.baseTopic));
    return undefined;
  }

  /** The client's grant; the broker's own internal publishes (no client) get the open one, a client without a grant under rules none. */
  grantOf(client: Client | null): Grant {
    if (client === null) return OPEN_GRANT;
    return this.grants.get(client) ?? (this.enforcing ? DENY_GRANT : OPEN_GRANT);
  }

  deniedPublish(client: Client, topic: string): void {
    this.counters.deniedPublish.inc();
    this.problems.warn('publish denied', { clientId: client.id, topic }, 'publish refused by the access rules: client disconnected');
  }

  deniedSubscribe(client: Client, filter: string): void {
    this.counters.deniedSubscribe.inc();
    this.problems.warn('subscription denied', { clientId: client.id, filter }, 'subscription refused by the access rules');
  }
}
