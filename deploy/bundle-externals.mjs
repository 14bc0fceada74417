// What each service's bundle leaves outside, loaded from node_modules at run time: the native
// addons (their .node files are found relative to their own modules), pino (its transports are
// files of its own), aedes (the broker turns off the number cache of aedes' own mqtt-packet), the
// lcd's drawing library (a native addon per platform), ws's optional native helpers, and Ajv
// (loaded only for a schema the build did not compile: shared/src/contract/validate.ts; the
// precompiled validators' small runtime helpers, `ajv/dist/runtime/*`, come from it too). The
// image's runtime stage (deploy/runtime-files.mjs) copies exactly these and what they need.
export const EXTERNAL = ['@voxbus/alsa', '@voxbus/dsp', '@napi-rs/canvas', 'pino', 'aedes', 'bufferutil', 'utf-8-validate', 'ajv'];
