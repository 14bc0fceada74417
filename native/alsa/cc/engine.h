// The audio-thread side of a stream. An Engine owns the open PCM, runs its loop on a dedicated
// thread, and shares only atomics and lock-free rings with the JS thread. Nothing on that thread
// allocates, locks, or calls into JS: it wakes JS through a callback that only signals (uv_async).
#pragma once

#include <alsa/asoundlib.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "pcm_device.h"
#include "ring.h"

namespace voxbus {

enum class StreamState : int { Running = 0, Failed = 1, Closed = 2 };

struct EngineStats {
  std::atomic<uint64_t> periods{0};         // periods moved between the device and the ring
  std::atomic<uint64_t> xruns{0};           // overruns/underruns recovered by re-preparing the PCM
  std::atomic<uint64_t> droppedPeriods{0};  // periods lost because JS had not emptied the ring
  std::atomic<uint64_t> silenceFrames{0};   // playback: frames of silence written to keep the device fed
  std::atomic<uint64_t> delayFrames{0};     // the device delay measured after the last transfer
};

class Engine {
 public:
  using WakeFn = void (*)(void* context);

  Engine(snd_pcm_t* pcm, const PcmGranted& granted, WakeFn wake, void* wakeContext);
  virtual ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // realtimePriority: SCHED_FIFO priority for the audio thread, 0 for normal scheduling.
  void start(int realtimePriority);
  bool realtimeGranted() const { return realtimeGranted_.load(std::memory_order_relaxed); }
  // Stops the thread (within one wait timeout) and closes the PCM. Idempotent.
  void stop();

  const PcmGranted& granted() const { return granted_; }
  const EngineStats& stats() const { return stats_; }
  StreamState state() const { return state_.load(std::memory_order_acquire); }
  // Valid once state() is Failed.
  const char* errorCode() const { return errorCode_; }
  const char* errorMessage() const { return errorMessage_; }

  // Periods the audio thread produced for JS (capture: the microphone; playback: what played).
  SlotRing& periodsOut() { return periodsOut_; }

 protected:
  virtual void run() = 0;
  // The audio thread's name (15 characters at most), so that `top -H` and bench:footprint tell it apart.
  virtual const char* threadName() const = 0;
  bool running() const { return running_.load(std::memory_order_acquire); }
  // Recovers from an xrun or suspend; returns false (after fail()) when the device is gone.
  bool recover(int alsaError);
  // Waits for the device; false means stop looping (stopped, failed, or stalled too long).
  bool waitReady();
  void fail(const char* code, const char* message, int alsaError);
  void wake() { wake_(wakeContext_); }
  static double monotonicUs();

  snd_pcm_t* pcm_;
  PcmGranted granted_;
  size_t frameBytes_;
  EngineStats stats_;
  SlotRing periodsOut_;

 private:
  WakeFn wake_;
  void* wakeContext_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<StreamState> state_{StreamState::Running};
  int stalledWaits_ = 0;
  int realtimePriority_ = 0;
  std::atomic<bool> realtimeGranted_{false};
  char errorCode_[32] = {0};
  char errorMessage_[256] = {0};
};

}  // namespace voxbus
