// The JS object over one capture or playback engine. Opening and closing run on the libuv
// thread pool (they can block on the device or on PulseAudio); everything else is a quick,
// non-blocking call. The audio thread wakes JS through a uv_async_t, which coalesces wake-ups
// and neither allocates nor blocks (a ThreadSafeFunction call may allocate a queue node).
#pragma once

#include <napi.h>
#include <uv.h>

#include <memory>

#include "capture_engine.h"
#include "playback_engine.h"

namespace voxbus {

class PcmStream : public Napi::ObjectWrap<PcmStream> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit PcmStream(const Napi::CallbackInfo& info);
  ~PcmStream() override;

  // Called by the open worker on the JS thread once the device is open.
  void Started(std::unique_ptr<Engine> engine);
  // Called by the close worker on the JS thread once the engine has stopped.
  void Stopped();
  Engine* engine() { return engine_.get(); }
  uv_async_t* async() { return async_; }

 private:
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value ReadPeriod(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value SetGain(const Napi::CallbackInfo& info);
  Napi::Value Pause(const Napi::CallbackInfo& info);
  Napi::Value Status(const Napi::CallbackInfo& info);
  Napi::Value Failed(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  PlaybackEngine* playback(const Napi::CallbackInfo& info);
  static void OnWake(uv_async_t* handle);
  static void OnEnvCleanup(void* self);
  void CloseAsync();

  Napi::FunctionReference onWake_;
  Napi::AsyncContext asyncContext_;
  uv_async_t* async_ = nullptr;  // freed in its close callback, which may run after this object
  std::unique_ptr<Engine> engine_;
  bool capture_ = true;
  int realtimePriority_ = 0;
  bool busy_ = false;  // an open or close is in flight
};

}  // namespace voxbus
