"""The sample tier: with a General MIDI SoundFont, acoustic parts are played from its samples.

Skipped without a SoundFont or the soundfont extra, except in CI (see the ``soundfont`` fixture).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import soundfile as sf
from scipy import signal

import livemusic
from livemusic.engine.soundfont import SOUNDFONT_ENV

from daw.measure import MS, note_ons, onset_frames

from .analysis import SR, mono
from .renders import generator


def parts(prompt: str, seconds: float = 6.0):
    """``seconds`` of ``prompt`` with stems, by a generator made now (the tier is chosen when it is made)."""
    return generator(prompt, seed=7).render(int(seconds * SR), stems=True)


def spectrum_db(pcm: np.ndarray) -> np.ndarray:
    """The long-term spectrum in dB, 100 Hz to 5 kHz."""
    f, p = signal.welch(mono(pcm), fs=SR, nperseg=4096)
    band = (f >= 100) & (f <= 5000)
    return 10 * np.log10(p[band] / p[band].sum() + 1e-20)


def test_a_soundfont_changes_how_the_acoustic_parts_sound(soundfont, monkeypatch):
    sampled = parts("bossa nova").stems
    monkeypatch.setenv(SOUNDFONT_ENV, "none")
    synthesized = parts("bossa nova").stems
    for part in ("bass", "harmony"):  # upright bass and nylon guitar
        assert np.mean(np.abs(spectrum_db(sampled[part]) - spectrum_db(synthesized[part]))) > 3.0, part


def test_a_soundfont_leaves_the_synthesized_parts_alone(soundfont, monkeypatch):
    sampled = parts("minimal techno", 4.0).mix  # synth bass, stabs, bells, a 909: nothing General MIDI
    monkeypatch.setenv(SOUNDFONT_ENV, "none")
    assert np.array_equal(sampled, parts("minimal techno", 4.0).mix)


async def test_sampled_notes_start_at_their_midi_note_ons(soundfont, server):
    clip = await livemusic.arender("jazz trio", bpm=120, bars=8, seed=3, stems=True, midi=True, url=server.url)
    stem_of_channel = {0: "bass", 1: "harmony", 2: "lead", 3: "lead"}  # upright bass, pianos
    onsets = {name: onset_frames(audio) for name, audio in clip.stems.items()}
    distances = []
    for seconds, channel, _ in note_ons(clip.midi):
        if channel in stem_of_channel:
            found = onsets[stem_of_channel[channel]]
            distances.append(np.min(np.abs(found - seconds * SR)) / MS)
    distances = np.array(distances)
    assert len(distances) > 50
    assert np.mean(distances <= 5) >= 0.9  # chords spread by a few ms (humanized) show as one onset
    assert distances.max() <= 20  # no sample starts late


def test_render_soundfont_option_plays_acoustic_parts_from_it(soundfont, tmp_path, monkeypatch):
    def rendered(*extra: str) -> np.ndarray:
        out = tmp_path / f"{len(extra)}.wav"
        subprocess.run([sys.executable, "-m", "livemusic.cli", "render", "--prompt", "upright bass", "--bars", "2",
                        "--seed", "5", "--out", str(out), *extra], check=True, capture_output=True, timeout=120)
        return sf.read(out)[0]

    monkeypatch.setenv(SOUNDFONT_ENV, "none")  # only the option asks for the SoundFont
    synthesized, sampled = rendered(), rendered("--soundfont", str(soundfont))
    assert np.mean(np.abs(spectrum_db(sampled) - spectrum_db(synthesized))) > 3.0


def test_a_sampled_note_sounds_from_its_first_frame(soundfont):
    # Cello, strings, trumpet and brass section: presets with an attack came out of tinysoundfont with a
    # silent first block of 64 frames (1.3 ms), after the note-on the MIDI file gives them.
    from livemusic.engine.soundfont import sample_bank

    bank = sample_bank(SR)
    for program in (42, 48, 56, 61):
        note = bank.note(program, 60, 0.5, 0.8)
        assert np.abs(note[:MS]).max() > 1e-3 * np.abs(note).max(), program
