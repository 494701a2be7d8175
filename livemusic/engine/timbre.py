"""What a pitched voice is made of: a :class:`Timbre` is a vector of numbers (levels, envelope, filter, colour)."""

from __future__ import annotations

from dataclasses import astuple, dataclass

from livemusic.engine.sound_cache import quantize


@dataclass(frozen=True)
class Timbre:
    """How one pitched voice sounds: oscillator levels, envelope, filter, colour (all numbers)."""

    sine: float = 0.0
    tri: float = 0.0
    saw: float = 1.0
    square: float = 0.0
    fm: float = 0.0          # FM (electric piano / bell) level
    fm_ratio: float = 1.0
    fm_index: float = 2.0
    pluck: float = 0.0       # Karplus-Strong level
    mallet: float = 0.0      # struck bar (inharmonic partials) level
    mallet_ratio: float = 4.0
    breath: float = 0.0      # band of noise around the pitch (winds, bows)
    vocal: float = 0.0       # formant-filtered glottal source ("aah"/"ooh")
    attack: float = 0.01
    decay: float = 0.4
    sustain: float = 0.6
    release: float = 0.25
    cutoff: float = 6.0      # lowpass cutoff as a multiple of the pitch
    reso: float = 0.2
    fenv: float = 0.3        # filter envelope amount
    detune: float = 0.0      # unison detune (0..1 -> 0..25 cents)
    vibrato: float = 0.0
    drive: float = 0.0
    cabinet: float = 0.0     # a guitar speaker cabinet after the drive (amp distortion)
    ensemble: float = 0.0    # a section: five detuned players instead of two (bowed), four players (brass)
    brass: float = 0.0       # lip-buzz brass level (brighter when louder)
    body: float = 0.0        # a wooden body's resonance on the plucked string (acoustic guitars, double bass)
    body_hz: float = 100.0   # the body's lowest (air) mode
    thump: float = 0.0       # a hard pluck starting sharp (0..1 -> 0..40 cents), as on a double bass
    gm: float = 0.0          # General MIDI program + 1 of the instrument in a SoundFont (0: always synthesized)


def timbre_key(tb: Timbre) -> tuple:
    return quantize(astuple(tb), 1 / 24)
