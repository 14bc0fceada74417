// The official realtime event schemas' validators (compiled at build time): `@voxbus/shared/realtime`.
export { type EventSide, prepareRealtimeValidators, type RealtimeDialect, realtimeEventErrors, realtimeEventTypes } from './realtime/realtime-schemas.js';
