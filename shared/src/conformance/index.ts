import { AUDIO_CAPTURE_SCENARIOS, type AudioCaptureScenario, runAudioCaptureKit } from './audio-capture-kit.js';
import { CONVERSATION_SCENARIOS, type ConversationScenario, runConversationKit } from './conversation-kit.js';
import { DSP_SCENARIOS, type DspScenario, runDspKit } from './dsp-kit.js';
import { judgeLastWill } from './common-rules.js';
import { GATEWAY_SCENARIOS, type GatewayScenario, runGatewayKit } from './gateway-kit.js';
import { LCD_SCENARIOS, type LcdScenario, runLcdKit } from './lcd-kit.js';
import { BusObserver, type ObserverOptions } from './observer.js';
import { PLAYBACK_SCENARIOS, type PlaybackScenario, runPlaybackKit } from './playback-kit.js';
import { type RuleResult, Verdicts } from './report.js';

export { formatResult, type RuleResult } from './report.js';

/** The services the kit can judge so far, and their scenarios. */
export const CONFORMANCE_KITS = {
  playback: PLAYBACK_SCENARIOS,
  'audio-capture': AUDIO_CAPTURE_SCENARIOS,
  dsp: DSP_SCENARIOS,
  'realtime-gateway': GATEWAY_SCENARIOS,
  'conversation-state': CONVERSATION_SCENARIOS,
  lcd: LCD_SCENARIOS,
} as const;
export type KitService = keyof typeof CONFORMANCE_KITS;
/** The scenario that kills the service to see its Last Will: run only when asked to (`kill`). */
export const LAST_WILL = 'last-will';

export interface ConformanceOptions extends ObserverOptions {
  readonly service: KitService;
  /** Scenarios to run (all when empty; `last-will` only with `kill`). */
  readonly only: readonly string[];
  /** At the end, kill the service to judge its Last Will (the `last-will` scenario). */
  readonly kill: boolean;
  readonly startTimeoutMs: number;
  readonly metricsTimeoutMs: number;
  /** Called with each verdict as it is reached, so a person sees progress. */
  readonly onResult?: (result: RuleResult) => void;
}

/** Runs a service's kit against whatever answers on the bus; resolves with every rule's verdict. */
export async function runConformance(options: ConformanceOptions): Promise<RuleResult[]> {
  const known: readonly string[] = CONFORMANCE_KITS[options.service];
  const unknown = options.only.filter((name) => !known.includes(name) && name !== LAST_WILL);
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')} for ${options.service}: one of ${[...known, LAST_WILL].join(', ')}`);
  if (options.only.includes(LAST_WILL) && !options.kill) throw new Error(`the ${LAST_WILL} scenario kills the service: give --kill to allow it`);
  const wanted = options.only.length === 0 ? [...known, ...(options.kill ? [LAST_WILL] : [])] : options.only;
  const scenarios = wanted.filter((name) => name !== LAST_WILL);
  const bus = await BusObserver.connect(options);
  const verdicts = new Verdicts(options.onResult);
  const timing = { startTimeoutMs: options.startTimeoutMs, metricsTimeoutMs: options.metricsTimeoutMs };
  try {
    if (scenarios.length === 0) {
      // The Last Will alone: nothing to drive first.
    } else if (options.service === 'playback') await runPlaybackKit(bus, verdicts, { ...timing, scenarios: scenarios as readonly PlaybackScenario[] });
    else if (options.service === 'audio-capture') await runAudioCaptureKit(bus, verdicts, { ...timing, scenarios: scenarios as readonly AudioCaptureScenario[] });
    else if (options.service === 'dsp') await runDspKit(bus, verdicts, { ...timing, scenarios: scenarios as readonly DspScenario[] });
    else if (options.service === 'realtime-gateway') await runGatewayKit(bus, verdicts, { ...timing, scenarios: scenarios as readonly GatewayScenario[] });
    else if (options.service === 'lcd') await runLcdKit(bus, verdicts, { ...timing, scenarios: scenarios as readonly LcdScenario[] });
    else await runConversationKit(bus, verdicts, { ...timing, scenarios: scenarios as readonly ConversationScenario[] });
    // Last: the service is killed, and whatever supervises it starts it again.
    if (wanted.includes(LAST_WILL)) await judgeLastWill(bus, verdicts, options.service, options.startTimeoutMs);
  } finally {
    await bus.close();
  }
  return verdicts.results;
}
