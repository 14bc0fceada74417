// Playback: JS writes PCM into a lock-free ring whenever it has some; the thread keeps the
// device fed one period at a time, with silence when the ring is empty, so the device never
// stops between replies and never pops. Fades, volume and flush happen here, where the samples
// meet the device, so they take effect within one period.
#pragma once

#include "engine.h"

namespace voxbus {

class PlaybackEngine : public Engine {
 public:
  // silenceReportMs: how often played silence is handed to JS (content is, every period): the echo
  // reference's frame, so the dsp hears of the speaker's silence that often.
  PlaybackEngine(snd_pcm_t* pcm, const PcmGranted& granted, size_t ringFrames, unsigned fadeFrames,
                 unsigned silenceReportMs, WakeFn wake, void* wakeContext);

  // JS thread. Copies whole frames that fit; returns how many frames were taken.
  size_t write(const uint8_t* pcm, size_t bytes);
  // JS thread. Everything written so far is faded out within one period and dropped.
  void flush();
  void setGain(float gain) { targetGain_.store(gain, std::memory_order_relaxed); }
  // JS thread. Holds the sound (true): what was sounding fades out within one period and nothing
  // more is read from the ring until pause(false), which fades in from the next unread frame.
  // Release: a flush() asked before pause(false) is visible to the audio thread no later than the
  // resume itself, so it never plays pre-flush content it was about to drop.
  void pause(bool paused) { paused_.store(paused, std::memory_order_release); }
  // Whether the audio thread has acted on a pause: true once the period that faded out (or found
  // nothing sounding) was built, so contentReadFrames() no longer moves until a resume is seen.
  bool paused() const { return pausedSeen_.load(std::memory_order_acquire); }

  uint64_t contentWrittenFrames() const { return ring_.writePosition() / frameBytes_; }
  uint64_t contentReadFrames() const { return ring_.readPosition() / frameBytes_; }
  // Content frames that have come out of the speaker: written minus what the device still holds.
  uint64_t contentHeardFrames() const { return heardContentFrames_.load(std::memory_order_acquire); }
  size_t ringCapacityFrames() const { return ring_.capacity() / frameBytes_; }
  // Flushes carried out so far, and the content position where the last one cut the sound:
  // content before it was (or will be) heard, content after it never will be.
  uint32_t flushesDone() const { return flushesDone_.load(std::memory_order_acquire); }
  uint64_t lastCutFrames() const { return lastCutFrames_.load(std::memory_order_acquire); }

 protected:
  void run() override;
  const char* threadName() const override { return "voxbus-playback"; }

 private:
  struct HistoryEntry {
    uint64_t deviceStart = 0;
    uint64_t contentStart = 0;
    uint32_t contentFrames = 0;
  };
  static constexpr size_t kHistory = 128;

  // Builds the next period in period_; returns how many of its frames are content.
  size_t buildPeriod();
  // Reads up to one fade of content (not past ring byte position upToBytes) into the start of
  // period_, applies the gain and ramps it down to silence; returns how many frames it read.
  size_t fadeOut(uint64_t upToBytes);
  void applyGain(int16_t* samples, size_t frames);
  void ramp(int16_t* samples, size_t frames, bool up);
  // Writes the built period; false when the loop must stop.
  bool writePeriod(size_t contentFrames, uint64_t contentStart);
  void updateHeard(snd_pcm_sframes_t delay);

  ByteRing ring_;
  unsigned fadeFrames_;
  snd_pcm_uframes_t silentWakeFrames_;
  std::unique_ptr<uint8_t[]> period_;
  std::atomic<uint64_t> flushUpTo_{0};
  std::atomic<uint32_t> flushSeq_{0};
  std::atomic<float> targetGain_{1.0f};
  std::atomic<bool> wantsSpace_{false};
  std::atomic<uint64_t> heardContentFrames_{0};
  std::atomic<uint64_t> lastCutFrames_{0};
  std::atomic<uint32_t> flushesDone_{0};
  std::atomic<bool> paused_{false};
  std::atomic<bool> pausedSeen_{false};

  // Audio thread only.
  uint32_t seenFlushSeq_ = 0;
  bool lastWasSilent_ = true;
  float gain_ = 1.0f;
  uint64_t deviceFrames_ = 0;
  // Frames played that the echo reference will not carry (its ring was full), and the xruns
  // counted when it last got a period: both break the reference's timeline (see writePeriod).
  uint32_t referenceLostFrames_ = 0;
  uint64_t referenceXruns_ = 0;
  HistoryEntry history_[kHistory];
  size_t historyNext_ = 0;
};

}  // namespace voxbus
