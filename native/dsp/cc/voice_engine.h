// One voice-processing engine behind one interface: echo cancellation against a reference,
// noise suppression, automatic gain and a per-chunk voice decision, on 10 ms chunks of mono
// s16 at one rate. The JS wrapper checks every argument; these classes trust their inputs.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>

namespace voxbus {

struct EngineOptions {
  int sampleRateHz = 24000;
  bool echoCancellation = true;
  int echoSuppression = 1;  // 0 low, 1 moderate, 2 high
  int echoTailMs = 200;     // speex only: the longest echo the filter can model
  bool noiseSuppression = true;
  int noiseLevel = 1;  // 0 low … 3 very high
  bool gainControl = true;
  int gainTargetDbfs = 3;  // webrtc: the level below full scale the gain aims for (3 = -3 dBFS)
  int gainMaxDb = 30;
  bool vad = true;
  int vadLikelihood = 1;  // webrtc: 0 very low … 3 high (how sure before it says voice)
  bool highPass = false;  // webrtc's own high-pass; the service has its own DC removal
};

struct EngineStats {
  // NaN where the engine has no figure yet (no far-end audio so far).
  double erleDb = NAN;      // echo return loss enhancement: echo in / echo left, at the canceller
  double erlDb = NAN;       // echo return loss: far-end / echo picked up by the microphone
  double delayMs = NAN;     // the echo delay the canceller found (webrtc), on top of the one given
  double speechProbability = NAN;
  bool echoPresent = false; // the engine believes the last chunk held echo
};

class VoiceEngine {
 public:
  virtual ~VoiceEngine() = default;
  // Samples in one 10 ms chunk.
  int ChunkSamples() const { return options_.sampleRateHz / 100; }
  // The reference (what the speaker played) for the capture chunk that follows.
  virtual void Reverse(const int16_t* chunk) = 0;
  // The first half of a capture chunk, in place: echo cancellation against the reference given
  // before it (and, where the engine does it there, noise suppression). `delayMs` is how much
  // later than the reference the echo reaches the microphone, as far as the caller knows.
  virtual void Cancel(int16_t* chunk, int delayMs) = 0;
  // The second half, in place: gain (and the rest of the clean-up); returns whether the chunk
  // holds voice. Split from Cancel so the caller can judge and gate the residual echo between.
  virtual bool Finish(int16_t* chunk) = 0;
  bool Capture(int16_t* chunk, int delayMs) {
    Cancel(chunk, delayMs);
    return Finish(chunk);
  }
  virtual EngineStats Stats() const = 0;
  // Forgets everything learnt: a new stream starts.
  virtual void Reset() = 0;

 protected:
  explicit VoiceEngine(const EngineOptions& options) : options_(options) {}
  EngineOptions options_;
};

std::unique_ptr<VoiceEngine> MakeSpeexEngine(const EngineOptions& options);
#ifdef VOXBUS_HAVE_WEBRTC
std::unique_ptr<VoiceEngine> MakeWebrtcEngine(const EngineOptions& options);
#endif

}  // namespace voxbus
