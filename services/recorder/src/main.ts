#!/usr/bin/env node
import { runService } from '@voxbus/shared';
import { service } from './service.js';

await runService(service);
