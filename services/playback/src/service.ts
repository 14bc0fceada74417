import { AlsaBackend } from '@voxbus/alsa';
import { speakerService } from './speaker-service.js';

/** The playback service's definition: run alone by main.ts, or with others in one process (all-in-one). */
export const service = speakerService({ backend: () => new AlsaBackend() });
