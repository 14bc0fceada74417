{
  "variables": {
    # webrtc-audio-processing 0.3 (its pkg-config name has no "-1"; the 1.x API is different
    # and not used). Without it the addon builds with the speex engine only.
    "have_webrtc": "<!(pkg-config --exists webrtc-audio-processing && echo 1 || echo 0)"
  },
  "targets": [
    {
      "target_name": "voxbus_dsp",
      "sources": ["cc/addon.cc", "cc/resampler.cc", "cc/voice_processor.cc", "cc/speex_engine.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "libraries": ["-lspeexdsp"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-O2"],
      "cflags_cc!": ["-fno-exceptions"],
      "conditions": [
        ["have_webrtc==1", {
          "sources": ["cc/webrtc_engine.cc"],
          "defines": ["VOXBUS_HAVE_WEBRTC"],
          "cflags_cc": ["<!@(pkg-config --cflags webrtc-audio-processing)"],
          "libraries": ["<!@(pkg-config --libs webrtc-audio-processing)"]
        }]
      ]
    }
  ]
}
