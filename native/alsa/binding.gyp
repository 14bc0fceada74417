{
  "targets": [
    {
      "target_name": "voxbus_alsa",
      "sources": [
        "cc/addon.cc",
        "cc/pcm_device.cc",
        "cc/engine.cc",
        "cc/capture_engine.cc",
        "cc/playback_engine.cc",
        "cc/pcm_stream.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "libraries": ["-lasound", "-lpthread"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-O2"],
      "cflags_cc!": ["-fno-exceptions"],
      "defines!": [],
      "conditions": [["1==1", {"defines": ["NAPI_CPP_EXCEPTIONS"]}]]
    }
  ]
}
