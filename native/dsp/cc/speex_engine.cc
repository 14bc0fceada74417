// The speexdsp engine: MDF echo canceller, then the preprocessor (noise suppression with
// residual-echo suppression, AGC, VAD). Always built; the fallback where webrtc-audio-processing
// 0.3 is not installed.
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

#include <stdexcept>
#include <vector>

#include "echo_meter.h"
#include "voice_engine.h"

namespace voxbus {

namespace {

class SpeexEngine final : public VoiceEngine {
 public:
  explicit SpeexEngine(const EngineOptions& options) : VoiceEngine(options) {
    const int chunk = ChunkSamples();
    input_.resize(chunk);  // the microphone chunk before cancellation, or a copy to listen to
    reference_.assign(chunk, 0);
    Create();
  }

  ~SpeexEngine() override { Destroy(); }

  void Reverse(const int16_t* chunk) override { std::copy(chunk, chunk + ChunkSamples(), reference_.begin()); }

  void Cancel(int16_t* chunk, int /*delayMs*/) override {
    // The caller aligns the reference and the filter covers echoTailMs, so the delay needs no
    // separate handling here.
    if (echo_ == nullptr) return;
    const int samples = ChunkSamples();
    std::copy(chunk, chunk + samples, input_.begin());
    speex_echo_cancellation(echo_, input_.data(), reference_.data(), chunk);
    meter_.Add(reference_.data(), input_.data(), chunk, samples);
  }

  bool Finish(int16_t* chunk) override {
    // The preprocessor re-synthesises whatever it is given, so when it only has to listen
    // (VAD alone) it runs on a copy and the audio passes untouched.
    const int samples = ChunkSamples();
    const bool changes = echo_ != nullptr || options_.noiseSuppression || options_.gainControl;
    if (!changes && !options_.vad) return false;
    int16_t* target = chunk;
    if (!changes) {
      std::copy(chunk, chunk + samples, input_.begin());
      target = input_.data();
    }
    speex_preprocess_run(preprocess_, target);
    return options_.vad && HasVoice();
  }

  // speexdsp 1.2's own VAD is a loudness threshold ("replaced by a hack pending a complete
  // rewrite", it says): any room noise above about -50 dBFS is "voice". Instead, compare the
  // chunk's power spectrum with the noise spectrum speex's MCRA estimator tracks: a posteriori
  // SNR over the speech band, thresholded by the likelihood setting.
  bool HasVoice() {
    speex_preprocess_ctl(preprocess_, SPEEX_PREPROCESS_GET_PSD, psd_.data());
    speex_preprocess_ctl(preprocess_, SPEEX_PREPROCESS_GET_NOISE_PSD, noisePsd_.data());
    const size_t bins = psd_.size();
    // 200 Hz to 4 kHz, where voices have their energy.
    const size_t low = bins * 200 * 2 / options_.sampleRateHz, high = bins * 4000 * 2 / options_.sampleRateHz;
    double signal = 0, noise = 0;
    for (size_t bin = low; bin < high && bin < bins; ++bin) {
      signal += psd_[bin];
      noise += noisePsd_[bin];
    }
    static const double kSnr[] = {2.0, 3.0, 4.0, 6.0};  // 3, 4.8, 6, 7.8 dB
    return signal / (noise + 1.0) > kSnr[options_.vadLikelihood];
  }

  EngineStats Stats() const override {
    EngineStats stats;
    meter_.Fill(stats);
    return stats;
  }

  void Reset() override {
    Destroy();
    Create();
    meter_ = EchoMeter();
    std::fill(reference_.begin(), reference_.end(), 0);
  }

 private:
  void Create() {
    const int chunk = ChunkSamples();
    spx_int32_t rate = options_.sampleRateHz;
    if (options_.echoCancellation) {
      echo_ = speex_echo_state_init(chunk, options_.sampleRateHz * options_.echoTailMs / 1000);
      if (echo_ == nullptr) throw std::runtime_error("speex_echo_state_init failed");
      speex_echo_ctl(echo_, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
    }
    preprocess_ = speex_preprocess_state_init(chunk, options_.sampleRateHz);
    if (preprocess_ == nullptr) throw std::runtime_error("speex_preprocess_state_init failed");
    spx_int32_t on = options_.noiseSuppression ? 1 : 0;
    speex_preprocess_ctl(preprocess_, SPEEX_PREPROCESS_SET_DENOISE, &on);
    // Levels 0..3 map to -15, -25, -35, -45 dB of suppression (speex's default is -15).
    spx_int32_t suppressDb = -15 - 10 * options_.noiseLevel;
    speex_preprocess_ctl(preprocess_, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &suppressDb);
    spx_int32_t agc = options_.gainControl ? 1 : 0;
    speex_preprocess_ctl(preprocess_, SPEEX_PREPROCESS_SET_AGC, &agc);
    if (options_.gainControl) {
      // The AGC aims at a loudness; the target is given like webrtc's, as dB below full scale.
      float level = 32768.0f * std::pow(10.0f, -options_.gainTargetDbfs / 20.0f) * 0.25f;
      speex_preprocess_ctl(preprocess_, SPEEX_PREPROCESS_SET_AGC_LEVEL, &level);
      spx_int32_t maxGain = options_.gainMaxDb;
      speex_preprocess_ctl(preprocess_, SPEEX_PREPROCESS_SET_AGC_MAX_GAIN, &maxGain);
    }
    // Speex's own VAD stays off (see HasVoice); its spectra are what the decision uses.
    spx_int32_t psdSize = 0;
    speex_preprocess_ctl(preprocess_, SPEEX_PREPROCESS_GET_PSD_SIZE, &psdSize);
    psd_.assign(psdSize, 0);
    noisePsd_.assign(psdSize, 0);
    if (echo_ != nullptr) speex_preprocess_ctl(preprocess_, SPEEX_PREPROCESS_SET_ECHO_STATE, echo_);
    spx_int32_t echoSuppressDb = -30 - 10 * options_.echoSuppression;
    speex_preprocess_ctl(preprocess_, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, &echoSuppressDb);
  }

  void Destroy() {
    if (preprocess_ != nullptr) speex_preprocess_state_destroy(preprocess_);
    if (echo_ != nullptr) speex_echo_state_destroy(echo_);
    preprocess_ = nullptr;
    echo_ = nullptr;
  }

  SpeexEchoState* echo_ = nullptr;
  SpeexPreprocessState* preprocess_ = nullptr;
  std::vector<spx_int16_t> input_;
  std::vector<spx_int16_t> reference_;
  std::vector<spx_int32_t> psd_;
  std::vector<spx_int32_t> noisePsd_;
  EchoMeter meter_;
};

}  // namespace

std::unique_ptr<VoiceEngine> MakeSpeexEngine(const EngineOptions& options) { return std::make_unique<SpeexEngine>(options); }

}  // namespace voxbus
