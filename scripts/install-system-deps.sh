#!/usr/bin/env bash
# Install the system packages muselab uses for audio: FluidSynth and the FluidR3 General MIDI
# SoundFont (Debian/Ubuntu: fluidsynth, fluid-soundfont-gm).  Never fails the build: without
# them muselab renders audio with its built-in synthesiser and says so.
set -u
have_sf2() {
  for f in /usr/share/sounds/sf2/FluidR3_GM.sf2 /usr/share/soundfonts/FluidR3_GM.sf2; do
    [ -f "$f" ] && return 0
  done
  return 1
}
if command -v fluidsynth >/dev/null 2>&1 && have_sf2; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "muselab setup: no apt-get here; install FluidSynth and a General MIDI SoundFont yourself" \
       "for realistic audio (muselab falls back to its built-in synthesiser)." >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "muselab setup: not root and no password-less sudo; run" \
         "'sudo apt-get install fluidsynth fluid-soundfont-gm' for realistic audio" \
         "(muselab falls back to its built-in synthesiser)." >&2
    exit 0
  fi
fi
echo "muselab setup: installing fluidsynth and fluid-soundfont-gm with apt-get ..." >&2
export DEBIAN_FRONTEND=noninteractive
if $SUDO apt-get update -qq >/dev/null 2>&1 \
   && $SUDO apt-get install -y -qq --no-install-recommends fluidsynth fluid-soundfont-gm >/dev/null 2>&1; then
  echo "muselab setup: FluidSynth installed." >&2
else
  echo "muselab setup: apt-get could not install fluidsynth/fluid-soundfont-gm;" \
       "muselab will use its built-in synthesiser." >&2
fi
exit 0
