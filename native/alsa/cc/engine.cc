#include "engine.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>

namespace voxbus {

namespace {
constexpr int kWaitTimeoutMs = 100;
// A device that delivers nothing for this long is treated as gone (the PulseAudio plugin, for
// one, can stall instead of failing when its sink disappears).
constexpr int kStalledWaitLimit = 2000 / kWaitTimeoutMs;
// Room for about a second of periods between the audio thread and JS.
constexpr size_t kMinSlots = 16;
}  // namespace

Engine::Engine(snd_pcm_t* pcm, const PcmGranted& granted, WakeFn wake, void* wakeContext)
    : pcm_(pcm),
      granted_(granted),
      frameBytes_(granted.channels * sizeof(int16_t)),
      periodsOut_(std::max<size_t>(kMinSlots, granted.rateHz / std::max<unsigned long>(1, granted.periodFrames) + 1),
                  granted.periodFrames * granted.channels * sizeof(int16_t)),
      wake_(wake),
      wakeContext_(wakeContext) {}

Engine::~Engine() { stop(); }

void Engine::start(int realtimePriority) {
  realtimePriority_ = realtimePriority;
  running_.store(true, std::memory_order_release);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), threadName());
    // Realtime scheduling only when asked for: under SCHED_FIFO a plugin that polls (the
    // PulseAudio one does) starves its own normal-priority thread and the stream stalls.
    // Without the privilege (most containers) the request fails and the thread stays normal.
    if (realtimePriority_ > 0) {
      sched_param param{};
      param.sched_priority = realtimePriority_;
      realtimeGranted_.store(pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0, std::memory_order_relaxed);
    }
    run();
  });
}

void Engine::stop() {
  running_.store(false, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
  if (pcm_ != nullptr) {
    snd_pcm_drop(pcm_);
    snd_pcm_close(pcm_);
    pcm_ = nullptr;
  }
  StreamState expected = StreamState::Running;
  state_.compare_exchange_strong(expected, StreamState::Closed);
}

bool Engine::recover(int alsaError) {
  if (alsaError == -EPIPE) {
    stats_.xruns.fetch_add(1, std::memory_order_relaxed);
    const int rc = snd_pcm_prepare(pcm_);
    if (rc < 0) {
      fail(runtimeErrorCode(rc), snd_strerror(rc), rc);
      return false;
    }
    return true;
  }
  if (alsaError == -ESTRPIPE) {
    int rc;
    while ((rc = snd_pcm_resume(pcm_)) == -EAGAIN && running()) {
      struct timespec pause = {0, 10 * 1000 * 1000};
      nanosleep(&pause, nullptr);
    }
    if (rc < 0) rc = snd_pcm_prepare(pcm_);
    if (rc < 0) {
      fail(runtimeErrorCode(rc), snd_strerror(rc), rc);
      return false;
    }
    return true;
  }
  fail(runtimeErrorCode(alsaError), snd_strerror(alsaError), alsaError);
  return false;
}

bool Engine::waitReady() {
  while (running()) {
    const int rc = snd_pcm_wait(pcm_, kWaitTimeoutMs);
    if (rc > 0) {
      stalledWaits_ = 0;
      return true;
    }
    if (rc == 0) {
      if (++stalledWaits_ >= kStalledWaitLimit) {
        fail("device_lost", "the device delivered no audio for 2000 ms", 0);
        return false;
      }
      continue;
    }
    if (!recover(rc)) return false;
    // An xrun wakes the wait at once; the caller's transfer re-primes the device.
    return true;
  }
  return false;
}

void Engine::fail(const char* code, const char* message, int alsaError) {
  std::snprintf(errorCode_, sizeof errorCode_, "%s", code);
  if (alsaError != 0) {
    std::snprintf(errorMessage_, sizeof errorMessage_, "%s (ALSA error %d)", message, alsaError);
  } else {
    std::snprintf(errorMessage_, sizeof errorMessage_, "%s", message);
  }
  state_.store(StreamState::Failed, std::memory_order_release);
  running_.store(false, std::memory_order_release);
  wake();
}

double Engine::monotonicUs() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

}  // namespace voxbus
