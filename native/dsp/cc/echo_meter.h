// ERL and ERLE measured around an echo canceller, over the chunks where the reference is
// playing: far-end power, microphone power and what the canceller left, each smoothed over
// about a second. Used for the speex engine (webrtc reports its own).
#pragma once

#include <cmath>
#include <cstdint>

#include "voice_engine.h"

namespace voxbus {

class EchoMeter {
 public:
  void Add(const int16_t* far, const int16_t* in, const int16_t* out, int samples) {
    const double farPower = Power(far, samples);
    // Below -60 dBFS the reference is silence: nothing to cancel, nothing to learn from.
    if (farPower < kFarFloor) return;
    far_ += kAlpha * (farPower - far_);
    in_ += kAlpha * (Power(in, samples) - in_);
    out_ += kAlpha * (Power(out, samples) - out_);
    ++chunks_;
  }

  void Fill(EngineStats& stats) const {
    // A second of far-end audio before the figures mean anything.
    if (chunks_ < 100) return;
    stats.erlDb = 10.0 * std::log10((far_ + kTiny) / (in_ + kTiny));
    stats.erleDb = 10.0 * std::log10((in_ + kTiny) / (out_ + kTiny));
  }

 private:
  static double Power(const int16_t* x, int n) {
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
    return sum / (n * 32768.0 * 32768.0);
  }
  static constexpr double kAlpha = 0.01;  // 10 ms chunks: about a second
  static constexpr double kFarFloor = 1e-6;
  static constexpr double kTiny = 1e-10;
  double far_ = 0, in_ = 0, out_ = 0;
  long chunks_ = 0;
};

}  // namespace voxbus
