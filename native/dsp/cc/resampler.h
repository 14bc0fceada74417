// speexdsp's resampler (a windowed-sinc polyphase filter) over interleaved s16 PCM. Each object
// keeps the filter state between calls, so a stream resampled frame by frame is continuous.
#pragma once

#include <napi.h>
#include <speex/speex_resampler.h>

#include <vector>

namespace voxbus {

class Resampler : public Napi::ObjectWrap<Resampler> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Resampler(const Napi::CallbackInfo& info);
  ~Resampler() override;

 private:
  Napi::Value Process(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value Latency(const Napi::CallbackInfo& info);

  SpeexResamplerState* state_ = nullptr;
  unsigned channels_ = 1;
  unsigned inRateHz_ = 0;
  unsigned outRateHz_ = 0;
  // Reused buffers, grown to the largest frame seen: the input copied to 2-byte alignment (a
  // Buffer slice may start at an odd offset) and the output.
  std::vector<spx_int16_t> input_;
  std::vector<spx_int16_t> scratch_;
};

}  // namespace voxbus
