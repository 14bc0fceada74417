// voxbus DSP addon: speexdsp's resampler, and voice processing (echo cancellation, noise
// suppression, gain, VAD) by webrtc-audio-processing 0.3 where installed and by speexdsp always.
#include <napi.h>

#include "resampler.h"
#include "voice_processor.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Resampler", voxbus::Resampler::Define(env));
  exports.Set("VoiceProcessor", voxbus::VoiceProcessor::Define(env));
  exports.Set("engines", voxbus::VoiceProcessor::Engines(env));
  return exports;
}
}  // namespace

NODE_API_MODULE(voxbus_dsp, Init)
