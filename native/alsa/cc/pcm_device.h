// Opening and configuring an ALSA PCM, and turning ALSA's negative errno codes into the error
// codes the TypeScript side documents. Runs on a worker thread, never on the audio thread.
#pragma once

#include <alsa/asoundlib.h>

#include <string>
#include <vector>

namespace voxbus {

struct PcmRequest {
  std::string device;
  bool capture = true;
  unsigned rateHz = 48000;
  unsigned channels = 1;
  unsigned periodFrames = 480;
  unsigned bufferFrames = 1920;
};

struct PcmGranted {
  unsigned rateHz = 0;
  unsigned channels = 0;
  unsigned long periodFrames = 0;
  unsigned long bufferFrames = 0;
};

struct PcmError {
  std::string code;     // device_not_found, device_busy, permission_denied, unsupported_format, ...
  std::string message;  // one line for a person: what was asked, what ALSA said
  int alsaError = 0;
};

// Opens `request.device` non-blocking, interleaved S16_LE, with the nearest rate, channels,
// period and buffer the device grants. Returns nullptr and fills `error` on failure.
snd_pcm_t* openPcm(const PcmRequest& request, PcmGranted& granted, PcmError& error);

// The error code for an ALSA error returned while the stream runs (device gone, I/O error).
const char* runtimeErrorCode(int alsaError);

struct DeviceHint {
  std::string name;
  std::string description;
  std::string direction;  // "capture", "playback" or "both"
};

std::vector<DeviceHint> listPcmDevices();

}  // namespace voxbus
