// The webrtc engine: webrtc-audio-processing 0.3's AudioProcessing module (the one PulseAudio's
// module-echo-cancel uses): AEC with the extended filter and delay-agnostic alignment, noise
// suppression, adaptive digital gain and its GMM voice detector. Built only where the 0.3
// headers are installed (Debian 12, Ubuntu 22.04); the speex engine stands in elsewhere.
#include <webrtc/modules/audio_processing/include/audio_processing.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "voice_engine.h"

namespace voxbus {

namespace {

using webrtc::AudioProcessing;

class WebrtcEngine final : public VoiceEngine {
 public:
  explicit WebrtcEngine(const EngineOptions& options)
      : VoiceEngine(options), stream_(options.sampleRateHz, 1), buffer_(ChunkSamples()) {
    Create();
  }

  void Reverse(const int16_t* chunk) override {
    if (!options_.echoCancellation) return;
    ToFloat(chunk);
    float* channels[1] = {buffer_.data()};
    Check(cancel_->ProcessReverseStream(channels, stream_, stream_, channels), "ProcessReverseStream");
  }

  void Cancel(int16_t* chunk, int delayMs) override {
    // With nothing to do, APM would still resample 24 kHz through its 32 kHz core and back.
    if (!options_.echoCancellation && !options_.noiseSuppression && !options_.highPass) return;
    // Required before every chunk while the AEC runs; a value out of its range is clamped
    // by APM and only reported, which is what we want from a hint.
    if (options_.echoCancellation) cancel_->set_stream_delay_ms(std::max(0, delayMs));
    Process(cancel_.get(), chunk);
  }

  bool Finish(int16_t* chunk) override {
    if (!options_.gainControl && !options_.vad) return false;
    Process(finish_.get(), chunk);
    return options_.vad && finish_->voice_detection()->stream_has_voice();
  }

  EngineStats Stats() const override {
    EngineStats stats;
    if (options_.echoCancellation) {
      webrtc::EchoCancellation::Metrics metrics;
      // APM reports -100 (kOffsetLevel) until it has a figure.
      if (cancel_->echo_cancellation()->GetMetrics(&metrics) == AudioProcessing::kNoError) {
        if (metrics.echo_return_loss_enhancement.instant > -100) stats.erleDb = metrics.echo_return_loss_enhancement.instant;
        if (metrics.echo_return_loss.instant > -100) stats.erlDb = metrics.echo_return_loss.instant;
      }
      int median = 0, deviation = 0;
      float poor = 0;
      if (cancel_->echo_cancellation()->GetDelayMetrics(&median, &deviation, &poor) == AudioProcessing::kNoError && median >= 0)
        stats.delayMs = median;
      stats.echoPresent = cancel_->echo_cancellation()->stream_has_echo();
    }
    if (options_.noiseSuppression) stats.speechProbability = cancel_->noise_suppression()->speech_probability();
    return stats;
  }

  void Reset() override { Create(); }

 private:
  // Two modules, so the residual echo can be judged (and gated) between cancellation and gain:
  // `cancel_` runs the AEC and noise suppression, `finish_` the gain and the voice detector, in
  // the order one module would run them.
  void Create() {
    webrtc::Config config;
    config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
    config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
    // The experimental AGC drives an analog (mixer) gain, which a board's ALSA device does not
    // hand us; the digital AGC below does the work.
    config.Set<webrtc::ExperimentalAgc>(new webrtc::ExperimentalAgc(false));
    cancel_ = Make(config);
    finish_ = Make(config);
    Check(cancel_->high_pass_filter()->Enable(options_.highPass), "high_pass_filter");
    if (options_.echoCancellation) {
      auto* aec = cancel_->echo_cancellation();
      Check(aec->enable_drift_compensation(false), "enable_drift_compensation");
      static const webrtc::EchoCancellation::SuppressionLevel kLevels[] = {
          webrtc::EchoCancellation::kLowSuppression, webrtc::EchoCancellation::kModerateSuppression,
          webrtc::EchoCancellation::kHighSuppression};
      Check(aec->set_suppression_level(kLevels[options_.echoSuppression]), "set_suppression_level");
      Check(aec->enable_metrics(true), "enable_metrics");
      Check(aec->enable_delay_logging(true), "enable_delay_logging");
      Check(aec->Enable(true), "echo_cancellation");
    }
    if (options_.noiseSuppression) {
      static const webrtc::NoiseSuppression::Level kLevels[] = {webrtc::NoiseSuppression::kLow, webrtc::NoiseSuppression::kModerate,
                                                                webrtc::NoiseSuppression::kHigh, webrtc::NoiseSuppression::kVeryHigh};
      Check(cancel_->noise_suppression()->set_level(kLevels[options_.noiseLevel]), "noise_suppression level");
      Check(cancel_->noise_suppression()->Enable(true), "noise_suppression");
    }
    if (options_.gainControl) {
      auto* agc = finish_->gain_control();
      Check(agc->set_mode(webrtc::GainControl::kAdaptiveDigital), "gain_control mode");
      Check(agc->set_target_level_dbfs(options_.gainTargetDbfs), "gain_control target");
      Check(agc->set_compression_gain_db(options_.gainMaxDb), "gain_control compression");
      Check(agc->enable_limiter(true), "gain_control limiter");
      Check(agc->Enable(true), "gain_control");
    }
    if (options_.vad) {
      static const webrtc::VoiceDetection::Likelihood kLikelihoods[] = {
          webrtc::VoiceDetection::kVeryLowLikelihood, webrtc::VoiceDetection::kLowLikelihood,
          webrtc::VoiceDetection::kModerateLikelihood, webrtc::VoiceDetection::kHighLikelihood};
      Check(finish_->voice_detection()->set_likelihood(kLikelihoods[options_.vadLikelihood]), "voice_detection likelihood");
      Check(finish_->voice_detection()->set_frame_size_ms(10), "voice_detection frame size");
      Check(finish_->voice_detection()->Enable(true), "voice_detection");
    }
  }

  std::unique_ptr<AudioProcessing> Make(const webrtc::Config& config) {
    std::unique_ptr<AudioProcessing> apm(AudioProcessing::Create(config));
    if (!apm) throw std::runtime_error("webrtc AudioProcessing::Create failed");
    webrtc::ProcessingConfig processing = {{stream_, stream_, stream_, stream_}};
    Check(apm->Initialize(processing), "Initialize");
    // Off unless asked for (on by default in some builds): the service has its own DC removal.
    Check(apm->high_pass_filter()->Enable(false), "high_pass_filter");
    return apm;
  }

  void Process(AudioProcessing* apm, int16_t* chunk) {
    ToFloat(chunk);
    float* channels[1] = {buffer_.data()};
    // A delay outside APM's range comes back as a warning and is clamped: still processed.
    const int code = apm->ProcessStream(channels, stream_, stream_, channels);
    if (code != AudioProcessing::kBadStreamParameterWarning) Check(code, "ProcessStream");
    for (int i = 0; i < ChunkSamples(); ++i) {
      const float scaled = buffer_[i] * 32768.0f;
      chunk[i] = static_cast<int16_t>(std::clamp(scaled, -32768.0f, 32767.0f) + (scaled >= 0 ? 0.5f : -0.5f));
    }
  }

  void ToFloat(const int16_t* chunk) {
    for (int i = 0; i < ChunkSamples(); ++i) buffer_[i] = chunk[i] / 32768.0f;
  }

  static void Check(int code, const char* what) {
    if (code != AudioProcessing::kNoError) throw std::runtime_error(std::string("webrtc ") + what + " failed with " + std::to_string(code));
  }

  webrtc::StreamConfig stream_;
  std::vector<float> buffer_;
  std::unique_ptr<AudioProcessing> cancel_;
  std::unique_ptr<AudioProcessing> finish_;
};

}  // namespace

std::unique_ptr<VoiceEngine> MakeWebrtcEngine(const EngineOptions& options) { return std::make_unique<WebrtcEngine>(options); }

}  // namespace voxbus
