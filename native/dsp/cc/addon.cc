// voxbus DSP addon: speexdsp's resampler (more stages join with the dsp service).
#include <napi.h>

#include "resampler.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Resampler", voxbus::Resampler::Define(env));
  return exports;
}
}  // namespace

NODE_API_MODULE(voxbus_dsp, Init)
