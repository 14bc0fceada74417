#include "playback_engine.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace voxbus {

PlaybackEngine::PlaybackEngine(snd_pcm_t* pcm, const PcmGranted& granted, size_t ringFrames, unsigned fadeFrames,
                               unsigned silenceReportMs, WakeFn wake, void* wakeContext)
    : Engine(pcm, granted, wake, wakeContext),
      ring_(ringFrames * granted.channels * sizeof(int16_t)),
      fadeFrames_(std::max(1u, fadeFrames)),
      silentWakeFrames_(std::max<snd_pcm_uframes_t>(granted.periodFrames,
                                                    static_cast<snd_pcm_uframes_t>(granted.rateHz) * silenceReportMs / 1000)),
      period_(std::make_unique<uint8_t[]>(granted.periodFrames * granted.channels * sizeof(int16_t))) {}

size_t PlaybackEngine::write(const uint8_t* pcm, size_t bytes) {
  const size_t space = ring_.capacity() - ring_.used();
  const size_t frames = std::min(bytes, space) / frameBytes_;
  ring_.write(pcm, frames * frameBytes_);
  // Ask to be woken when there is room again, so JS refills without polling.
  if (frames * frameBytes_ < bytes) wantsSpace_.store(true, std::memory_order_release);
  return frames;
}

void PlaybackEngine::flush() {
  flushUpTo_.store(ring_.writePosition(), std::memory_order_release);
  flushSeq_.fetch_add(1, std::memory_order_acq_rel);
}

void PlaybackEngine::ramp(int16_t* samples, size_t frames, bool up) {
  const size_t channels = granted_.channels;
  for (size_t frame = 0; frame < frames; ++frame) {
    const float factor = up ? static_cast<float>(frame + 1) / frames : static_cast<float>(frames - frame - 1) / frames;
    for (size_t channel = 0; channel < channels; ++channel) {
      int16_t& sample = samples[frame * channels + channel];
      sample = static_cast<int16_t>(sample * factor);
    }
  }
}

void PlaybackEngine::applyGain(int16_t* samples, size_t frames) {
  const float target = targetGain_.load(std::memory_order_relaxed);
  if (target == 1.0f && gain_ == 1.0f) return;
  const size_t channels = granted_.channels;
  // Glide to the new gain over this period instead of stepping, which would click.
  const float step = frames > 0 ? (target - gain_) / frames : 0.0f;
  for (size_t frame = 0; frame < frames; ++frame) {
    gain_ += step;
    for (size_t channel = 0; channel < channels; ++channel) {
      int16_t& sample = samples[frame * channels + channel];
      const float scaled = sample * gain_;
      sample = static_cast<int16_t>(std::clamp(scaled, -32768.0f, 32767.0f));
    }
  }
  gain_ = target;
}

size_t PlaybackEngine::fadeOut(uint64_t upToBytes) {
  const uint64_t readBytes = ring_.readPosition();
  const uint64_t availableBytes = upToBytes > readBytes ? upToBytes - readBytes : 0;
  const uint64_t fadeBytes = static_cast<uint64_t>(std::min<size_t>(fadeFrames_, granted_.periodFrames)) * frameBytes_;
  const size_t frames = ring_.read(period_.get(), std::min(availableBytes, fadeBytes)) / frameBytes_;
  int16_t* samples = reinterpret_cast<int16_t*>(period_.get());
  applyGain(samples, frames);
  ramp(samples, frames, false);
  return frames;
}

size_t PlaybackEngine::buildPeriod() {
  const size_t period = granted_.periodFrames;
  int16_t* samples = reinterpret_cast<int16_t*>(period_.get());
  size_t content = 0;

  // paused_ before flushSeq_: JS resumes after a flush with flush(); pause(false), and pause()'s
  // release store follows flush()'s fetch_add, so a thread that sees the resume also sees the flush
  // and drops the old content instead of fading it back in.
  const bool paused = paused_.load(std::memory_order_acquire);
  const uint32_t flushSeq = flushSeq_.load(std::memory_order_acquire);
  if (flushSeq != seenFlushSeq_) {
    seenFlushSeq_ = flushSeq;
    const uint64_t upTo = flushUpTo_.load(std::memory_order_acquire);
    // Fade out what would have played next, then drop the rest of what was written before the flush.
    // Nothing sounding (silence, or a pause already faded out) leaves nothing to fade: read nothing,
    // so the cut is where the sound actually stopped, not a fade's length into unheard content.
    if (!lastWasSilent_) content = fadeOut(upTo);
    lastCutFrames_.store(ring_.readPosition() / frameBytes_, std::memory_order_release);
    ring_.discardUpTo(upTo);
    flushesDone_.store(flushSeq, std::memory_order_release);
    lastWasSilent_ = true;
  } else if (paused) {
    // Fade out what was sounding (those frames are played, so count as read and heard), then play
    // silence without reading: the ring keeps everything after them for the resume.
    if (!lastWasSilent_) content = fadeOut(ring_.writePosition());
    lastWasSilent_ = true;
  } else {
    content = ring_.read(period_.get(), period * frameBytes_) / frameBytes_;
    if (content > 0) {
      applyGain(samples, content);
      // After silence (the start, a flush, a pause, or a dry ring) the first frames fade in.
      if (lastWasSilent_) ramp(samples, std::min<size_t>(fadeFrames_, content), true);
      // The ring ran dry inside this period: fade the tail so the following silence does not click.
      if (content < period) {
        const size_t fade = std::min<size_t>(fadeFrames_, content);
        ramp(samples + (content - fade) * granted_.channels, fade, false);
      }
    }
    lastWasSilent_ = content < period;
  }
  // Published after the reads above: once JS sees paused() true, the read position is final.
  pausedSeen_.store(paused, std::memory_order_release);
  std::memset(period_.get() + content * frameBytes_, 0, (period - content) * frameBytes_);
  stats_.silenceFrames.fetch_add(period - content, std::memory_order_relaxed);
  // Silence has nothing to glide: take a gain set meanwhile (a mute while idle) at once, or the
  // next reply's first period would glide down from the old gain, a blip through a muted speaker.
  if (content == 0) gain_ = targetGain_.load(std::memory_order_relaxed);
  return content;
}

void PlaybackEngine::updateHeard(snd_pcm_sframes_t delay) {
  const uint64_t heardDevice = deviceFrames_ > static_cast<uint64_t>(delay) ? deviceFrames_ - delay : 0;
  // Walk back from the newest period to the one the speaker is playing now.
  for (size_t back = 1; back <= kHistory; ++back) {
    const HistoryEntry& entry = history_[(historyNext_ + kHistory - back) % kHistory];
    if (entry.deviceStart <= heardDevice || back == kHistory) {
      const uint64_t into = heardDevice > entry.deviceStart ? heardDevice - entry.deviceStart : 0;
      const uint64_t heard = entry.contentStart + std::min<uint64_t>(into, entry.contentFrames);
      if (heard > heardContentFrames_.load(std::memory_order_relaxed))
        heardContentFrames_.store(heard, std::memory_order_release);
      return;
    }
  }
}

bool PlaybackEngine::writePeriod(size_t contentFrames, uint64_t contentStart) {
  const snd_pcm_uframes_t period = granted_.periodFrames;
  snd_pcm_sframes_t written = snd_pcm_writei(pcm_, period_.get(), period);
  if (written == -EAGAIN) written = 0;
  if (written < 0) return recover(static_cast<int>(written));
  if (written == 0) return true;

  history_[historyNext_] = {deviceFrames_, contentStart, static_cast<uint32_t>(contentFrames)};
  historyNext_ = (historyNext_ + 1) % kHistory;
  deviceFrames_ += static_cast<uint64_t>(written);
  stats_.periods.fetch_add(1, std::memory_order_relaxed);

  snd_pcm_sframes_t delay = 0;
  if (snd_pcm_delay(pcm_, &delay) < 0) delay = 0;
  stats_.delayFrames.store(static_cast<uint64_t>(delay), std::memory_order_relaxed);
  updateHeard(delay);

  {
    // Every period, silence included: the echo reference runs on between replies, so the dsp
    // can tell silence from audio that has not arrived yet.
    PeriodSlot* slot = periodsOut_.beginWrite();
    if (slot != nullptr) {
      // The echo reference: this period, stamped with when its first sample reaches the speaker.
      std::memcpy(slot->data.get(), period_.get(), period * frameBytes_);
      slot->frames = static_cast<uint32_t>(period);
      slot->flags = 1;
      const double nowUs = monotonicUs();
      slot->timeUs = nowUs + static_cast<double>(delay - static_cast<snd_pcm_sframes_t>(written)) * 1e6 / granted_.rateHz;
      slot->writtenUs = nowUs;
      slot->contentStart = static_cast<double>(contentStart);
      slot->contentFrames = static_cast<uint32_t>(contentFrames);
      // JS lays the reference's periods one after the other by their sample count: a period it
      // never got, or an xrun (the device played silence of its own for as long as it took to
      // recover), is said as a loss so that it starts a new timeline there. An xrun's length is
      // unknown: 1.
      const uint64_t xruns = stats_.xruns.load(std::memory_order_relaxed);
      slot->lostFramesBefore = referenceLostFrames_ + (xruns != referenceXruns_ && referenceLostFrames_ == 0 ? 1 : 0);
      referenceLostFrames_ = 0;
      referenceXruns_ = xruns;
      periodsOut_.commitWrite();
    } else {
      stats_.droppedPeriods.fetch_add(1, std::memory_order_relaxed);
      referenceLostFrames_ += static_cast<uint32_t>(period);
    }
  }
  return true;
}

void PlaybackEngine::run() {
  const snd_pcm_uframes_t period = granted_.periodFrames;
  bool contentSinceWake = false;
  // Silent periods are reported too, but JS is woken for them only once a reference frame's worth
  // is played (silentWakeFrames_).
  snd_pcm_uframes_t framesSinceWake = 0;
  while (running()) {
    snd_pcm_sframes_t avail = snd_pcm_avail_update(pcm_);
    if (avail < 0) {
      if (!recover(static_cast<int>(avail))) return;
      continue;
    }
    while (avail >= static_cast<snd_pcm_sframes_t>(period) && running()) {
      const uint64_t contentStart = ring_.readPosition() / frameBytes_;
      const size_t content = buildPeriod();
      if (!writePeriod(content, contentStart)) return;
      contentSinceWake = contentSinceWake || content > 0;
      framesSinceWake += period;
      avail -= static_cast<snd_pcm_sframes_t>(period);
    }
    // A PCM prepared after an xrun (or never started) starts once it holds a full buffer;
    // start it explicitly in case the threshold was not reached exactly.
    if (snd_pcm_state(pcm_) == SND_PCM_STATE_PREPARED) snd_pcm_start(pcm_);
    if (contentSinceWake || framesSinceWake >= silentWakeFrames_ || wantsSpace_.exchange(false, std::memory_order_acq_rel)) {
      contentSinceWake = false;
      framesSinceWake = 0;
      wake();
    }
    if (!waitReady()) return;
  }
}

}  // namespace voxbus
