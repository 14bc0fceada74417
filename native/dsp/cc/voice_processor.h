// VoiceProcessor: the JS face of one VoiceEngine (webrtc or speex), on 10 ms chunks of mono s16.
#pragma once

#include <napi.h>

#include <memory>

#include "voice_engine.h"

namespace voxbus {

class VoiceProcessor : public Napi::ObjectWrap<VoiceProcessor> {
 public:
  static Napi::Function Define(Napi::Env env);
  // The engines this build has, for the wrapper to offer.
  static Napi::Array Engines(Napi::Env env);
  explicit VoiceProcessor(const Napi::CallbackInfo& info);

 private:
  Napi::Value Reverse(const Napi::CallbackInfo& info);
  Napi::Value Capture(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value Finish(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  int16_t* Chunk(const Napi::CallbackInfo& info);

  std::unique_ptr<VoiceEngine> engine_;
};

}  // namespace voxbus
