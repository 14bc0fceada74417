import { AlsaBackend } from '@voxbus/alsa';
import { microphoneService } from './microphone-service.js';

/** The audio-capture service's definition: run alone by main.ts, or with others in one process (all-in-one). */
export const service = microphoneService({ backend: () => new AlsaBackend() });
