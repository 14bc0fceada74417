#include "pcm_stream.h"

#include <string>

namespace voxbus {

namespace {

void WakeAsync(void* context) { uv_async_send(static_cast<uv_async_t*>(context)); }

uint32_t RequireUint(const Napi::Object& options, const char* key, uint32_t min, uint32_t max) {
  Napi::Value value = options.Get(key);
  if (!value.IsNumber()) throw Napi::TypeError::New(options.Env(), std::string("options.") + key + " must be a number");
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= min && number <= max) || number != static_cast<double>(static_cast<uint32_t>(number))) {
    throw Napi::RangeError::New(options.Env(), std::string("options.") + key + " must be an integer in [" +
                                                   std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return static_cast<uint32_t>(number);
}

Napi::Value DeviceError(Napi::Env env, const PcmError& error) {
  Napi::Error result = Napi::Error::New(env, error.message);
  result.Set("code", Napi::String::New(env, error.code));
  result.Set("alsaError", Napi::Number::New(env, error.alsaError));
  return result.Value();
}

Napi::Object GrantedObject(Napi::Env env, const PcmGranted& granted) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("rateHz", Napi::Number::New(env, granted.rateHz));
  result.Set("channels", Napi::Number::New(env, granted.channels));
  result.Set("periodFrames", Napi::Number::New(env, static_cast<double>(granted.periodFrames)));
  result.Set("bufferFrames", Napi::Number::New(env, static_cast<double>(granted.bufferFrames)));
  return result;
}

class OpenWorker : public Napi::AsyncWorker {
 public:
  OpenWorker(Napi::Env env, PcmStream* stream, PcmRequest request, size_t ringFrames, unsigned fadeFrames,
             unsigned silenceReportMs)
      : Napi::AsyncWorker(env, "voxbus.alsa.open"),
        deferred_(Napi::Promise::Deferred::New(env)),
        stream_(stream),
        request_(std::move(request)),
        ringFrames_(ringFrames),
        fadeFrames_(fadeFrames),
        silenceReportMs_(silenceReportMs) {
    self_ = Napi::Persistent(stream->Value());  // keeps the stream alive while the worker runs
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override { pcm_ = openPcm(request_, granted_, error_); }

  void OnOK() override {
    Napi::Env env = Env();
    if (pcm_ == nullptr) {
      stream_->Stopped();
      deferred_.Reject(DeviceError(env, error_));
      return;
    }
    uv_async_t* async = stream_->async();
    std::unique_ptr<Engine> engine;
    if (request_.capture) {
      engine = std::make_unique<CaptureEngine>(pcm_, granted_, WakeAsync, async);
    } else {
      engine = std::make_unique<PlaybackEngine>(pcm_, granted_, ringFrames_, fadeFrames_, silenceReportMs_, WakeAsync,
                                                async);
    }
    stream_->Started(std::move(engine));
    deferred_.Resolve(GrantedObject(env, granted_));
  }

 private:
  Napi::Promise::Deferred deferred_;
  PcmStream* stream_;
  Napi::ObjectReference self_;
  PcmRequest request_;
  size_t ringFrames_;
  unsigned fadeFrames_;
  unsigned silenceReportMs_;
  snd_pcm_t* pcm_ = nullptr;
  PcmGranted granted_;
  PcmError error_;
};

class CloseWorker : public Napi::AsyncWorker {
 public:
  CloseWorker(Napi::Env env, PcmStream* stream)
      : Napi::AsyncWorker(env, "voxbus.alsa.close"), deferred_(Napi::Promise::Deferred::New(env)), stream_(stream) {
    self_ = Napi::Persistent(stream->Value());
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  // Joining the audio thread takes up to one wait timeout, so it happens off the JS thread.
  void Execute() override { stream_->engine()->stop(); }

  void OnOK() override {
    stream_->Stopped();
    deferred_.Resolve(Env().Undefined());
  }

 private:
  Napi::Promise::Deferred deferred_;
  PcmStream* stream_;
  Napi::ObjectReference self_;
};

}  // namespace

Napi::Function PcmStream::Define(Napi::Env env) {
  return DefineClass(env, "PcmStream",
                     {
                         InstanceMethod<&PcmStream::Open>("open"),
                         InstanceMethod<&PcmStream::ReadPeriod>("readPeriod"),
                         InstanceMethod<&PcmStream::Write>("write"),
                         InstanceMethod<&PcmStream::Flush>("flush"),
                         InstanceMethod<&PcmStream::SetGain>("setGain"),
                         InstanceMethod<&PcmStream::Pause>("pause"),
                         InstanceMethod<&PcmStream::Status>("status"),
                         InstanceMethod<&PcmStream::Failed>("failed"),
                         InstanceMethod<&PcmStream::Close>("close"),
                     });
}

// new PcmStream(direction: 'capture' | 'playback', onWake: () => void)
PcmStream::PcmStream(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<PcmStream>(info), asyncContext_(info.Env(), "voxbus.alsa.wake") {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "direction must be 'capture' or 'playback'");
  const std::string direction = info[0].As<Napi::String>().Utf8Value();
  if (direction != "capture" && direction != "playback")
    throw Napi::TypeError::New(env, "direction must be 'capture' or 'playback'");
  if (!info[1].IsFunction()) throw Napi::TypeError::New(env, "onWake must be a function");
  capture_ = direction == "capture";
  onWake_ = Napi::Persistent(info[1].As<Napi::Function>());

  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  async_ = new uv_async_t;
  uv_async_init(loop, async_, &PcmStream::OnWake);
  async_->data = this;
  // A stream does not by itself keep the process alive (like an unref'd timer).
  uv_unref(reinterpret_cast<uv_handle_t*>(async_));
}

PcmStream::~PcmStream() {
  if (engine_) {
    napi_remove_env_cleanup_hook(Env(), &PcmStream::OnEnvCleanup, this);
    engine_->stop();
  }
  CloseAsync();
}

void PcmStream::CloseAsync() {
  if (async_ == nullptr) return;
  async_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(async_), [](uv_handle_t* handle) { delete reinterpret_cast<uv_async_t*>(handle); });
  async_ = nullptr;
}

void PcmStream::Started(std::unique_ptr<Engine> engine) {
  busy_ = false;
  engine_ = std::move(engine);
  engine_->start(realtimePriority_);
  Ref();  // an open stream is not collected while its thread runs
  napi_add_env_cleanup_hook(Env(), &PcmStream::OnEnvCleanup, this);
}

void PcmStream::Stopped() {
  busy_ = false;
  if (engine_) {
    napi_remove_env_cleanup_hook(Env(), &PcmStream::OnEnvCleanup, this);
    engine_.reset();
    Unref();
  }
}

// At process exit the thread must stop before the loop (and the async handle) goes away.
void PcmStream::OnEnvCleanup(void* self) {
  PcmStream* stream = static_cast<PcmStream*>(self);
  if (stream->engine_) stream->engine_->stop();
  stream->CloseAsync();
}

void PcmStream::OnWake(uv_async_t* handle) {
  PcmStream* stream = static_cast<PcmStream*>(handle->data);
  if (stream == nullptr) return;
  Napi::Env env = stream->Env();
  Napi::HandleScope scope(env);
  try {
    stream->onWake_.MakeCallback(stream->Value(), {}, stream->asyncContext_);
  } catch (const Napi::Error& error) {
    // The wrapper catches its own errors; anything that still escapes goes to uncaughtException.
    napi_fatal_exception(env, error.Value());
  }
}

Napi::Value PcmStream::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (engine_ || busy_) throw Napi::Error::New(env, "the stream is already open or opening");
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "options must be an object");
  Napi::Object options = info[0].As<Napi::Object>();
  if (!options.Get("device").IsString()) throw Napi::TypeError::New(env, "options.device must be a string");
  PcmRequest request;
  request.device = options.Get("device").As<Napi::String>().Utf8Value();
  request.capture = capture_;
  request.rateHz = RequireUint(options, "rateHz", 1000, 384000);
  request.channels = RequireUint(options, "channels", 1, 32);
  request.periodFrames = RequireUint(options, "periodFrames", 16, 65536);
  request.bufferFrames = RequireUint(options, "bufferFrames", 32, 1 << 20);
  realtimePriority_ = options.Get("realtimePriority").IsUndefined() ? 0 : RequireUint(options, "realtimePriority", 0, 99);
  size_t ringFrames = 0;
  unsigned fadeFrames = 0;
  unsigned silenceReportMs = 0;
  if (!capture_) {
    ringFrames = RequireUint(options, "ringFrames", 64, 1 << 24);
    fadeFrames = RequireUint(options, "fadeFrames", 1, 65536);
    silenceReportMs = RequireUint(options, "silenceReportMs", 1, 1000);
  }
  busy_ = true;
  OpenWorker* worker = new OpenWorker(env, this, std::move(request), ringFrames, fadeFrames, silenceReportMs);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value PcmStream::ReadPeriod(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!engine_) return env.Null();
  SlotRing& ring = engine_->periodsOut();
  PeriodSlot* slot = ring.beginRead();
  if (slot == nullptr) return env.Null();
  const size_t bytes = static_cast<size_t>(slot->frames) * engine_->granted().channels * sizeof(int16_t);
  Napi::Object period = Napi::Object::New(env);
  period.Set("pcm", Napi::Buffer<uint8_t>::Copy(env, slot->data.get(), bytes));
  period.Set("timeUs", Napi::Number::New(env, slot->timeUs));
  period.Set("frames", Napi::Number::New(env, slot->frames));
  // Capture: frames dropped before it (the ring was full). Playback: frames played that the
  // reference never got, or 1 after an xrun (see PlaybackEngine::writePeriod).
  period.Set("lostFramesBefore", Napi::Number::New(env, slot->lostFramesBefore));
  if (!capture_) {
    period.Set("writtenUs", Napi::Number::New(env, slot->writtenUs));
    period.Set("contentStart", Napi::Number::New(env, slot->contentStart));
    period.Set("contentFrames", Napi::Number::New(env, slot->contentFrames));
  }
  ring.commitRead();
  return period;
}

PlaybackEngine* PcmStream::playback(const Napi::CallbackInfo& info) {
  if (capture_) throw Napi::Error::New(info.Env(), "not a playback stream");
  return static_cast<PlaybackEngine*>(engine_.get());
}

Napi::Value PcmStream::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PlaybackEngine* engine = playback(info);
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, "pcm must be a Buffer or Uint8Array");
  if (engine == nullptr) return Napi::Number::New(env, 0);
  Napi::Uint8Array pcm = info[0].As<Napi::Uint8Array>();
  return Napi::Number::New(env, static_cast<double>(engine->write(pcm.Data(), pcm.ByteLength())));
}

Napi::Value PcmStream::Flush(const Napi::CallbackInfo& info) {
  PlaybackEngine* engine = playback(info);
  if (engine != nullptr) engine->flush();
  return info.Env().Undefined();
}

Napi::Value PcmStream::SetGain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PlaybackEngine* engine = playback(info);
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "gain must be a number");
  const double gain = info[0].As<Napi::Number>().DoubleValue();
  if (!(gain >= 0 && gain <= 4)) throw Napi::RangeError::New(env, "gain must be in [0, 4]");
  if (engine != nullptr) engine->setGain(static_cast<float>(gain));
  return env.Undefined();
}

Napi::Value PcmStream::Pause(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PlaybackEngine* engine = playback(info);
  // Strictly a boolean: a truthy number or string is more likely a caller's mistake than a wish.
  if (!info[0].IsBoolean()) throw Napi::TypeError::New(env, "paused must be a boolean");
  if (engine != nullptr) engine->pause(info[0].As<Napi::Boolean>().Value());
  return env.Undefined();
}

Napi::Value PcmStream::Status(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object status = Napi::Object::New(env);
  if (!engine_) {
    status.Set("state", Napi::String::New(env, "closed"));
    return status;
  }
  const StreamState state = engine_->state();
  status.Set("state", Napi::String::New(env, state == StreamState::Running ? "running"
                                              : state == StreamState::Failed ? "failed"
                                                                              : "closed"));
  if (state == StreamState::Failed) {
    status.Set("errorCode", Napi::String::New(env, engine_->errorCode()));
    status.Set("errorMessage", Napi::String::New(env, engine_->errorMessage()));
  }
  const EngineStats& stats = engine_->stats();
  status.Set("periods", Napi::Number::New(env, static_cast<double>(stats.periods.load())));
  status.Set("xruns", Napi::Number::New(env, static_cast<double>(stats.xruns.load())));
  status.Set("droppedPeriods", Napi::Number::New(env, static_cast<double>(stats.droppedPeriods.load())));
  status.Set("realtime", Napi::Boolean::New(env, engine_->realtimeGranted()));
  status.Set("delayFrames", Napi::Number::New(env, static_cast<double>(stats.delayFrames.load())));
  if (!capture_) {
    const PlaybackEngine* engine = static_cast<const PlaybackEngine*>(engine_.get());
    // Read before the positions: when it says paused (and JS has not resumed since), the read
    // position that follows is where the pause stopped.
    const bool paused = engine->paused();
    status.Set("paused", Napi::Boolean::New(env, paused));
    status.Set("silenceFrames", Napi::Number::New(env, static_cast<double>(stats.silenceFrames.load())));
    status.Set("contentWrittenFrames", Napi::Number::New(env, static_cast<double>(engine->contentWrittenFrames())));
    status.Set("contentReadFrames", Napi::Number::New(env, static_cast<double>(engine->contentReadFrames())));
    status.Set("contentHeardFrames", Napi::Number::New(env, static_cast<double>(engine->contentHeardFrames())));
    status.Set("flushesDone", Napi::Number::New(env, engine->flushesDone()));
    status.Set("lastCutFrames", Napi::Number::New(env, static_cast<double>(engine->lastCutFrames())));
    status.Set("ringCapacityFrames", Napi::Number::New(env, static_cast<double>(engine->ringCapacityFrames())));
  }
  return status;
}

// Whether the stream has failed: asked on every wake-up, so it builds no object (status() builds
// one of up to 15 fields, which every wake-up paid before).
Napi::Value PcmStream::Failed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), engine_ && engine_->state() == StreamState::Failed);
}

Napi::Value PcmStream::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (busy_) throw Napi::Error::New(env, "the stream is opening or closing");
  if (!engine_) {
    Napi::Promise::Deferred done = Napi::Promise::Deferred::New(env);
    done.Resolve(env.Undefined());
    return done.Promise();
  }
  busy_ = true;
  CloseWorker* worker = new CloseWorker(env, this);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace voxbus
