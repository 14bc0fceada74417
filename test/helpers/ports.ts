export { freePort, waitForPort } from '@voxbus/shared/testing';
