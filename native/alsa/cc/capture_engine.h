// Capture: the thread reads whole periods from the device into preallocated slots and stamps
// each with the CLOCK_MONOTONIC time of its first sample.
#pragma once

#include "engine.h"

namespace voxbus {

class CaptureEngine : public Engine {
 public:
  CaptureEngine(snd_pcm_t* pcm, const PcmGranted& granted, WakeFn wake, void* wakeContext);

 protected:
  void run() override;
  const char* threadName() const override { return "voxbus-capture"; }

 private:
  // Where a period goes when JS has not emptied the ring: read and counted, never blocking.
  std::unique_ptr<uint8_t[]> overflow_;
  uint32_t lostFrames_ = 0;  // dropped since the last period JS received
};

}  // namespace voxbus
