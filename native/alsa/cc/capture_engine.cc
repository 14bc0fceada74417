#include "capture_engine.h"

#include <cerrno>

namespace voxbus {

CaptureEngine::CaptureEngine(snd_pcm_t* pcm, const PcmGranted& granted, WakeFn wake, void* wakeContext)
    : Engine(pcm, granted, wake, wakeContext),
      overflow_(std::make_unique<uint8_t[]>(granted.periodFrames * frameBytes_)) {}

void CaptureEngine::run() {
  const snd_pcm_uframes_t period = granted_.periodFrames;
  int rc = snd_pcm_start(pcm_);
  if (rc < 0 && !recover(rc)) return;

  PeriodSlot* slot = nullptr;
  uint8_t* target = nullptr;
  snd_pcm_uframes_t filled = 0;
  while (waitReady()) {
    for (;;) {
      if (target == nullptr) {
        slot = periodsOut_.beginWrite();
        target = slot != nullptr ? slot->data.get() : overflow_.get();
        filled = 0;
      }
      const snd_pcm_sframes_t got = snd_pcm_readi(pcm_, target + filled * frameBytes_, period - filled);
      if (got == -EAGAIN) break;
      if (got < 0) {
        if (!recover(static_cast<int>(got))) return;
        // A recovered capture PCM must be started again; what was half read is discarded.
        filled = 0;
        rc = snd_pcm_start(pcm_);
        if (rc < 0 && !recover(rc)) return;
        break;
      }
      filled += static_cast<snd_pcm_uframes_t>(got);
      if (filled < period) continue;

      // What is captured but not yet read dates this period: its first sample was captured
      // (waiting + period) frames ago. snd_pcm_delay would add the sound server's own latency,
      // which the PulseAudio plugin reports wildly (measured: 660 ms falling by a period per period).
      snd_pcm_sframes_t waiting = snd_pcm_avail_update(pcm_);
      if (waiting < 0) waiting = 0;
      stats_.delayFrames.store(static_cast<uint64_t>(waiting), std::memory_order_relaxed);
      stats_.periods.fetch_add(1, std::memory_order_relaxed);
      if (slot != nullptr) {
        slot->timeUs = monotonicUs() - static_cast<double>(waiting + period) * 1e6 / granted_.rateHz;
        slot->frames = static_cast<uint32_t>(period);
        slot->flags = 0;
        slot->lostFramesBefore = lostFrames_;
        lostFrames_ = 0;
        periodsOut_.commitWrite();
        wake();
      } else {
        stats_.droppedPeriods.fetch_add(1, std::memory_order_relaxed);
        lostFrames_ += static_cast<uint32_t>(period);
      }
      target = nullptr;
    }
  }
}

}  // namespace voxbus
