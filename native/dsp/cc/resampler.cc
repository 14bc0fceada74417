#include "resampler.h"

#include <cstring>
#include <string>

namespace voxbus {

namespace {
uint32_t RequireUint(const Napi::CallbackInfo& info, size_t index, const char* name, uint32_t min, uint32_t max) {
  if (!info[index].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  const double value = info[index].As<Napi::Number>().DoubleValue();
  if (!(value >= min && value <= max) || value != static_cast<double>(static_cast<uint32_t>(value)))
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be an integer in [" + std::to_string(min) + ", " +
                                                std::to_string(max) + "]");
  return static_cast<uint32_t>(value);
}
}  // namespace

Napi::Function Resampler::Define(Napi::Env env) {
  return DefineClass(env, "Resampler",
                     {
                         InstanceMethod<&Resampler::Process>("process"),
                         InstanceMethod<&Resampler::Reset>("reset"),
                         InstanceMethod<&Resampler::Latency>("latencyFrames"),
                     });
}

// new Resampler(channels, inRateHz, outRateHz, quality 0..10)
Resampler::Resampler(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Resampler>(info) {
  channels_ = RequireUint(info, 0, "channels", 1, 32);
  inRateHz_ = RequireUint(info, 1, "inRateHz", 1000, 384000);
  outRateHz_ = RequireUint(info, 2, "outRateHz", 1000, 384000);
  const uint32_t quality = RequireUint(info, 3, "quality", 0, 10);
  int error = 0;
  state_ = speex_resampler_init(channels_, inRateHz_, outRateHz_, static_cast<int>(quality), &error);
  if (state_ == nullptr || error != RESAMPLER_ERR_SUCCESS)
    throw Napi::Error::New(info.Env(), std::string("speex_resampler_init failed: ") + speex_resampler_strerror(error));
  // Without this the first output is delayed by the filter length and starts with a ramp.
  speex_resampler_skip_zeros(state_);
}

Resampler::~Resampler() {
  if (state_ != nullptr) speex_resampler_destroy(state_);
}

// process(pcm: Uint8Array of interleaved s16le) → Buffer of resampled interleaved s16le
Napi::Value Resampler::Process(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, "pcm must be a Buffer or Uint8Array");
  Napi::Uint8Array pcm = info[0].As<Napi::Uint8Array>();
  const size_t frameBytes = channels_ * sizeof(spx_int16_t);
  if (pcm.ByteLength() % frameBytes != 0)
    throw Napi::RangeError::New(env, "pcm must hold whole frames of " + std::to_string(channels_) + " s16 samples");
  const spx_uint32_t inFrames = static_cast<spx_uint32_t>(pcm.ByteLength() / frameBytes);
  // Room for the ratio, rounding, and what the filter releases from earlier calls.
  const spx_uint32_t room = static_cast<spx_uint32_t>(static_cast<uint64_t>(inFrames) * outRateHz_ / inRateHz_ + 64);
  if (scratch_.size() < static_cast<size_t>(room) * channels_) scratch_.resize(static_cast<size_t>(room) * channels_);
  // The input is not guaranteed to be 2-byte aligned, so copy it to an aligned buffer first.
  if (input_.size() < static_cast<size_t>(inFrames) * channels_) input_.resize(static_cast<size_t>(inFrames) * channels_);
  std::memcpy(input_.data(), pcm.Data(), pcm.ByteLength());
  spx_uint32_t consumed = inFrames;
  spx_uint32_t produced = room;
  speex_resampler_process_interleaved_int(state_, input_.data(), &consumed, scratch_.data(), &produced);
  return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(scratch_.data()), produced * frameBytes);
}

Napi::Value Resampler::Reset(const Napi::CallbackInfo& info) {
  speex_resampler_reset_mem(state_);
  speex_resampler_skip_zeros(state_);
  return info.Env().Undefined();
}

Napi::Value Resampler::Latency(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), speex_resampler_get_output_latency(state_));
}

}  // namespace voxbus
