#include "pcm_device.h"

#include <cerrno>
#include <cstdlib>

namespace voxbus {

namespace {

std::string openErrorCode(int alsaError) {
  switch (-alsaError) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
      return "device_not_found";
    case EBUSY:
    case EAGAIN:
      return "device_busy";
    case EACCES:
    case EPERM:
      return "permission_denied";
    default:
      return "device_error";
  }
}

// Which common formats the device could have given, for the unsupported-format message.
std::string supportedFormats(snd_pcm_t* pcm, snd_pcm_hw_params_t* params) {
  static const snd_pcm_format_t candidates[] = {SND_PCM_FORMAT_S16_LE, SND_PCM_FORMAT_S24_LE, SND_PCM_FORMAT_S24_3LE,
                                                SND_PCM_FORMAT_S32_LE, SND_PCM_FORMAT_FLOAT_LE, SND_PCM_FORMAT_U8};
  std::string list;
  for (snd_pcm_format_t format : candidates) {
    if (snd_pcm_hw_params_test_format(pcm, params, format) == 0) {
      if (!list.empty()) list += ", ";
      list += snd_pcm_format_name(format);
    }
  }
  return list.empty() ? "none of the common ones" : list;
}

snd_pcm_t* fail(snd_pcm_t* pcm, PcmError& error, const std::string& code, const std::string& message, int alsaError) {
  if (pcm != nullptr) snd_pcm_close(pcm);
  error.code = code;
  error.message = message;
  error.alsaError = alsaError;
  return nullptr;
}

}  // namespace

const char* runtimeErrorCode(int alsaError) {
  switch (-alsaError) {
    case ENODEV:
    case ENOENT:
    case ENXIO:
    case EBADFD:
    case ESHUTDOWN:
    case EIO:  // what a USB device or a PulseAudio server that went away reports mid-stream
      return "device_lost";
    default:
      return "device_error";
  }
}

snd_pcm_t* openPcm(const PcmRequest& request, PcmGranted& granted, PcmError& error) {
  const char* direction = request.capture ? "capture" : "playback";
  const std::string what = std::string(direction) + " device '" + request.device + "'";
  snd_pcm_t* pcm = nullptr;
  int rc = snd_pcm_open(&pcm, request.device.c_str(), request.capture ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK,
                        SND_PCM_NONBLOCK);
  if (rc < 0) return fail(nullptr, error, openErrorCode(rc), "cannot open " + what + ": " + snd_strerror(rc), rc);

  snd_pcm_hw_params_t* hw = nullptr;
  snd_pcm_hw_params_alloca(&hw);
  if ((rc = snd_pcm_hw_params_any(pcm, hw)) < 0)
    return fail(pcm, error, "device_error", "cannot read the parameters of " + what + ": " + snd_strerror(rc), rc);
  if ((rc = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0)
    return fail(pcm, error, "unsupported_format", what + " does not support interleaved access: " + snd_strerror(rc), rc);
  if ((rc = snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_S16_LE)) < 0)
    return fail(pcm, error, "unsupported_format",
                what + " does not support S16_LE (it supports " + supportedFormats(pcm, hw) +
                    "); use its plughw: or default device so ALSA converts",
                rc);

  unsigned channels = request.channels;
  if ((rc = snd_pcm_hw_params_set_channels_near(pcm, hw, &channels)) < 0)
    return fail(pcm, error, "unsupported_format",
                what + " refused " + std::to_string(request.channels) + " channels: " + snd_strerror(rc), rc);
  unsigned rate = request.rateHz;
  if ((rc = snd_pcm_hw_params_set_rate_near(pcm, hw, &rate, nullptr)) < 0)
    return fail(pcm, error, "unsupported_format",
                what + " refused " + std::to_string(request.rateHz) + " Hz: " + snd_strerror(rc), rc);
  snd_pcm_uframes_t period = request.periodFrames;
  if ((rc = snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, nullptr)) < 0)
    return fail(pcm, error, "unsupported_format", what + " refused the period size: " + snd_strerror(rc), rc);
  snd_pcm_uframes_t buffer = request.bufferFrames < 2 * period ? 2 * period : request.bufferFrames;
  if ((rc = snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer)) < 0)
    return fail(pcm, error, "unsupported_format", what + " refused the buffer size: " + snd_strerror(rc), rc);
  if ((rc = snd_pcm_hw_params(pcm, hw)) < 0)
    return fail(pcm, error, "unsupported_format", "cannot configure " + what + ": " + snd_strerror(rc), rc);

  snd_pcm_hw_params_get_period_size(hw, &period, nullptr);
  snd_pcm_hw_params_get_buffer_size(hw, &buffer);
  snd_pcm_hw_params_get_rate(hw, &rate, nullptr);
  snd_pcm_hw_params_get_channels(hw, &channels);

  snd_pcm_sw_params_t* sw = nullptr;
  snd_pcm_sw_params_alloca(&sw);
  snd_pcm_sw_params_current(pcm, sw);
  snd_pcm_sw_params_set_avail_min(pcm, sw, period);
  // Playback starts explicitly once the buffer holds silence; capture is started explicitly too.
  snd_pcm_sw_params_set_start_threshold(pcm, sw, request.capture ? 1 : buffer);
  if ((rc = snd_pcm_sw_params(pcm, sw)) < 0)
    return fail(pcm, error, "device_error", "cannot set the software parameters of " + what + ": " + snd_strerror(rc), rc);

  granted.rateHz = rate;
  granted.channels = channels;
  granted.periodFrames = period;
  granted.bufferFrames = buffer;
  return pcm;
}

std::vector<DeviceHint> listPcmDevices() {
  std::vector<DeviceHint> devices;
  void** hints = nullptr;
  if (snd_device_name_hint(-1, "pcm", &hints) < 0) return devices;
  for (void** hint = hints; *hint != nullptr; ++hint) {
    char* name = snd_device_name_get_hint(*hint, "NAME");
    char* description = snd_device_name_get_hint(*hint, "DESC");
    char* ioid = snd_device_name_get_hint(*hint, "IOID");
    if (name != nullptr) {
      DeviceHint device;
      device.name = name;
      device.description = description != nullptr ? description : "";
      // ALSA leaves IOID out for devices that do both directions.
      device.direction = ioid == nullptr ? "both" : (std::string(ioid) == "Input" ? "capture" : "playback");
      devices.push_back(device);
    }
    free(name);
    free(description);
    free(ioid);
  }
  snd_device_name_free_hint(hints);
  return devices;
}

}  // namespace voxbus
