#!/usr/bin/env node
import { type AnyServiceDefinition, runServices } from '@voxbus/shared';
import { telephonyServices } from './definitions.js';

// The bridge first: it makes the line the stand-ins open.
await runServices(telephonyServices() as AnyServiceDefinition[]);
