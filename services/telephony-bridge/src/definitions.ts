import { defineService, packageVersion } from '@voxbus/shared';
import { TelephonyBridge } from './bridge.js';
import { CallLine } from './call-line.js';
import { TELEPHONY_DEFAULTS, TelephonyConfigSchema } from './config.js';
import { startMediaServer } from './server.js';
import { standIns } from './stand-ins.js';

const OWNER = 'telephony-bridge';

/**
 * The bridge's three services, run together in its one process (main.ts): its own (the
 * WebSocket server, the calls, its state) and the stand-in audio-capture and playback on the line
 * it makes. Not a `service.js`: the run command's all-in-one mode cannot host it beside the real
 * audio-capture and playback it replaces, and says so.
 */
export function telephonyServices() {
  let line: CallLine | undefined;
  const theLine = (): CallLine => {
    if (line === undefined) throw new Error('the call line is made by the telephony-bridge service, which starts first');
    return line;
  };
  const bridgeService = defineService({
    name: 'telephony-bridge',
    version: packageVersion(import.meta.url),
    configSchema: TelephonyConfigSchema,
    configDefaults: TELEPHONY_DEFAULTS,
    async start({ config, log, bus, clock, metrics }) {
      line = new CallLine({ ...config, sampleRateHz: config.lineRateHz }, clock, {
        inboundDroppedMs: metrics.counter('line.inboundDroppedMs'),
        inboundUnderruns: metrics.counter('line.inboundUnderruns'),
        stalledPeriods: metrics.counter('line.stalledPeriods'),
      });
      const bridge = new TelephonyBridge(config, {
        line,
        clock,
        log,
        metrics,
        publishState: (state) => bus.publish('telephony-bridge.state', {}, state),
        startConversation: () => bus.publish('conversation.cmd.start', {}, {}),
        endConversation: () => bus.publish('conversation.cmd.end', {}, {}),
      });
      // The stand-in speaker obeys the flush itself; the platform is told to drop what it holds.
      bus.subscribe(OWNER, 'playback.cmd.flush', {}, () => bridge.flushed());
      bus.subscribe(OWNER, 'conversation.state', {}, ({ payload }) => bridge.conversationState(payload.state));
      const server = await startMediaServer(config, bridge, log);
      log.info({ host: config.host, port: server.port }, `media streams at ws://${config.host}:${server.port}/freeswitch and /acs`);
      return {
        stop: async () => {
          bus.unsubscribeAll(OWNER);
          bridge.stop();
          await server.close();
        },
      };
    },
  });
  return [bridgeService, ...standIns(theLine)];
}
