#include "voice_processor.h"

#include <cmath>
#include <exception>
#include <string>

namespace voxbus {

namespace {

int IntOption(const Napi::Object& options, const char* name, int min, int max) {
  const Napi::Value value = options.Get(name);
  if (!value.IsNumber()) throw Napi::TypeError::New(options.Env(), std::string(name) + " must be a number");
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= min && number <= max) || number != std::floor(number))
    throw Napi::RangeError::New(options.Env(), std::string(name) + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  return static_cast<int>(number);
}

bool BoolOption(const Napi::Object& options, const char* name) {
  const Napi::Value value = options.Get(name);
  if (!value.IsBoolean()) throw Napi::TypeError::New(options.Env(), std::string(name) + " must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

Napi::Value OrNull(Napi::Env env, double value) { return std::isnan(value) ? env.Null() : Napi::Number::New(env, value); }

}  // namespace

Napi::Function VoiceProcessor::Define(Napi::Env env) {
  return DefineClass(env, "VoiceProcessor",
                     {
                         InstanceMethod<&VoiceProcessor::Reverse>("reverse"),
                         InstanceMethod<&VoiceProcessor::Capture>("capture"),
                         InstanceMethod<&VoiceProcessor::Cancel>("cancel"),
                         InstanceMethod<&VoiceProcessor::Finish>("finish"),
                         InstanceMethod<&VoiceProcessor::Stats>("stats"),
                         InstanceMethod<&VoiceProcessor::Reset>("reset"),
                     });
}

Napi::Array VoiceProcessor::Engines(Napi::Env env) {
  Napi::Array engines = Napi::Array::New(env);
#ifdef VOXBUS_HAVE_WEBRTC
  engines.Set(engines.Length(), "webrtc");
#endif
  engines.Set(engines.Length(), "speex");
  return engines;
}

// new VoiceProcessor(engine: 'webrtc' | 'speex', options)
VoiceProcessor::VoiceProcessor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VoiceProcessor>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "engine must be a string");
  if (!info[1].IsObject()) throw Napi::TypeError::New(env, "options must be an object");
  const std::string engine = info[0].As<Napi::String>().Utf8Value();
  const Napi::Object object = info[1].As<Napi::Object>();
  EngineOptions options;
  options.sampleRateHz = IntOption(object, "sampleRateHz", 8000, 48000);
  if (options.sampleRateHz % 100 != 0) throw Napi::RangeError::New(env, "sampleRateHz must be a multiple of 100 (10 ms chunks)");
  options.echoCancellation = BoolOption(object, "echoCancellation");
  options.echoSuppression = IntOption(object, "echoSuppression", 0, 2);
  options.echoTailMs = IntOption(object, "echoTailMs", 10, 1000);
  options.noiseSuppression = BoolOption(object, "noiseSuppression");
  options.noiseLevel = IntOption(object, "noiseLevel", 0, 3);
  options.gainControl = BoolOption(object, "gainControl");
  options.gainTargetDbfs = IntOption(object, "gainTargetDbfs", 0, 31);
  options.gainMaxDb = IntOption(object, "gainMaxDb", 0, 90);
  options.vad = BoolOption(object, "vad");
  options.vadLikelihood = IntOption(object, "vadLikelihood", 0, 3);
  options.highPass = BoolOption(object, "highPass");
  try {
    if (engine == "speex") engine_ = MakeSpeexEngine(options);
#ifdef VOXBUS_HAVE_WEBRTC
    else if (engine == "webrtc") engine_ = MakeWebrtcEngine(options);
#endif
    else throw Napi::Error::New(env, "engine '" + engine + "' is not in this build");
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& error) {
    throw Napi::Error::New(env, error.what());
  }
}

int16_t* VoiceProcessor::Chunk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array)
    throw Napi::TypeError::New(env, "chunk must be an Int16Array");
  Napi::Int16Array chunk = info[0].As<Napi::Int16Array>();
  if (chunk.ElementLength() != static_cast<size_t>(engine_->ChunkSamples()))
    throw Napi::RangeError::New(env, "chunk must hold " + std::to_string(engine_->ChunkSamples()) + " samples (10 ms)");
  return chunk.Data();
}

Napi::Value VoiceProcessor::Reverse(const Napi::CallbackInfo& info) {
  int16_t* chunk = Chunk(info);
  try {
    engine_->Reverse(chunk);
  } catch (const std::exception& error) {
    throw Napi::Error::New(info.Env(), error.what());
  }
  return info.Env().Undefined();
}

Napi::Value VoiceProcessor::Capture(const Napi::CallbackInfo& info) {
  int16_t* chunk = Chunk(info);
  if (!info[1].IsNumber()) throw Napi::TypeError::New(info.Env(), "delayMs must be a number");
  const int delayMs = static_cast<int>(info[1].As<Napi::Number>().Int32Value());
  try {
    return Napi::Boolean::New(info.Env(), engine_->Capture(chunk, delayMs));
  } catch (const std::exception& error) {
    throw Napi::Error::New(info.Env(), error.what());
  }
}

Napi::Value VoiceProcessor::Cancel(const Napi::CallbackInfo& info) {
  int16_t* chunk = Chunk(info);
  if (!info[1].IsNumber()) throw Napi::TypeError::New(info.Env(), "delayMs must be a number");
  const int delayMs = static_cast<int>(info[1].As<Napi::Number>().Int32Value());
  try {
    engine_->Cancel(chunk, delayMs);
  } catch (const std::exception& error) {
    throw Napi::Error::New(info.Env(), error.what());
  }
  return info.Env().Undefined();
}

Napi::Value VoiceProcessor::Finish(const Napi::CallbackInfo& info) {
  int16_t* chunk = Chunk(info);
  try {
    return Napi::Boolean::New(info.Env(), engine_->Finish(chunk));
  } catch (const std::exception& error) {
    throw Napi::Error::New(info.Env(), error.what());
  }
}

Napi::Value VoiceProcessor::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const EngineStats stats = engine_->Stats();
  Napi::Object out = Napi::Object::New(env);
  out.Set("erleDb", OrNull(env, stats.erleDb));
  out.Set("erlDb", OrNull(env, stats.erlDb));
  out.Set("delayMs", OrNull(env, stats.delayMs));
  out.Set("speechProbability", OrNull(env, stats.speechProbability));
  out.Set("echoPresent", Napi::Boolean::New(env, stats.echoPresent));
  return out;
}

Napi::Value VoiceProcessor::Reset(const Napi::CallbackInfo& info) {
  try {
    engine_->Reset();
  } catch (const std::exception& error) {
    throw Napi::Error::New(info.Env(), error.what());
  }
  return info.Env().Undefined();
}

}  // namespace voxbus
