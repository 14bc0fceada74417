// What each service's bundle leaves outside, loaded from node_modules at run time: the native
// addons (their .node files are found relative to their own modules), pino (its transports are
// files of its own), aedes (the broker turns off the number cache of aedes' own mqtt-packet), the
// lcd's drawing library (a native addon per platform) and ws's optional native helpers. The
// image's runtime stage (deploy/runtime-files.mjs) copies exactly these and what they need.
export const EXTERNAL = ['@voxbus/alsa', '@voxbus/dsp', '@napi-rs/canvas', 'pino', 'aedes', 'bufferutil', 'utf-8-validate'];
