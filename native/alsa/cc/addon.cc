// voxbus ALSA addon: PCM streams with a dedicated audio thread each, and device listing.
#include <napi.h>

#include "pcm_device.h"
#include "pcm_stream.h"

namespace {

Napi::Value ListDevices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::vector<voxbus::DeviceHint> devices = voxbus::listPcmDevices();
  Napi::Array result = Napi::Array::New(env, devices.size());
  for (size_t i = 0; i < devices.size(); ++i) {
    Napi::Object device = Napi::Object::New(env);
    device.Set("name", devices[i].name);
    device.Set("description", devices[i].description);
    device.Set("direction", devices[i].direction);
    result.Set(static_cast<uint32_t>(i), device);
  }
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("PcmStream", voxbus::PcmStream::Define(env));
  exports.Set("listDevices", Napi::Function::New<ListDevices>(env, "listDevices"));
  exports.Set("alsaVersion", Napi::String::New(env, snd_asoundlib_version()));
  return exports;
}

}  // namespace

NODE_API_MODULE(voxbus_alsa, Init)
