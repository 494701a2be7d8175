"""Every DAW example runs, on the embedded engine (the hosted one only with a key), and writes what it says."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile as sf

from .measure import seam_steps
from .test_midi_out import Port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
KEY = os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY")  # read before the fixture drops it


def run(script: str, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    result = subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True, cwd=ROOT,
                            timeout=timeout, stdin=subprocess.DEVNULL, env=env)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode(errors="replace") if script != "audio_callback.py" else result.stdout


def test_the_smallest_script_writes_a_named_clip_with_stems_and_midi(tmp_path):
    run("render_clip.py", str(tmp_path))
    [wav] = tmp_path.glob("minimal-techno_124bpm_*_8bars.wav")
    assert sf.info(wav).frames == round(8 * 4 * 60 / 124 * 48_000)
    assert len(list(tmp_path.glob("*.wav"))) == 5 and wav.with_suffix(".mid").exists()


def test_four_loops_share_tempo_key_and_length_and_each_joins_itself(tmp_path):
    run("four_loops.py", str(tmp_path), "--bars", "2")
    loops = sorted(p for p in tmp_path.glob("*.wav") if p.stem.count(".") == 0)
    assert [p.name.split("_")[0] for p in loops] == ["bass", "groove", "keys", "pads"]
    fields = [p.stem.split("_")[1:] for p in loops]
    assert {(bpm, bars) for bpm, _, bars in fields} == {("122bpm", "2bars")}
    assert {key for _, key, _ in fields} <= {"Abmaj", "Fmin"}  # one scale: A-flat major or its relative minor
    for path in loops:
        audio, _ = sf.read(path, dtype="float32")
        seam, inside = seam_steps(audio)
        assert seam <= np.percentile(inside, 99)
        assert mido.MidiFile(path.with_suffix(".mid")).length == pytest.approx(len(audio) / 48_000, abs=0.002)


def test_dj_crossfade_moves_from_one_prompt_set_to_the_other_in_one_file(tmp_path):
    out = tmp_path / "set.wav"
    run("dj_crossfade.py", str(out))
    audio, rate = sf.read(out, dtype="float32")
    assert len(audio) == round(32 * 4 * 60 / 124 * rate)
    bar = len(audio) // 32
    before, after = audio[:8 * bar], audio[-8 * bar:]
    spectrum = lambda x: np.abs(np.fft.rfft(x.mean(axis=1)[: 4 * bar]))  # noqa: E731
    a, b = spectrum(before), spectrum(after)
    assert np.corrcoef(np.log1p(a), np.log1p(b))[0, 1] < 0.98  # the music changed


def test_audio_callback_streams_every_frame_as_raw_float32():
    raw = run("audio_callback.py", "--bars", "1")
    frames = np.frombuffer(raw, "<f4").reshape(-1, 2)
    assert len(frames) == round(4 * 60 / 120 * 48_000) and np.abs(frames).max() > 0.05


async def test_live_midi_out_sends_the_engines_notes_to_the_port():
    spec = importlib.util.spec_from_file_location("midi_out_example", EXAMPLES / "midi_out.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    port = Port(lambda: 0.0)  # no ALSA sequencer here: a stand-in for the virtual port
    await example.main(port, 3.0)
    types = {m.type for _, m in port.sent}
    assert {"program_change", "note_on", "note_off"} <= types
    assert any(m.channel == 9 for _, m in port.sent if m.type == "note_on")


def test_render_loop_example_uses_the_api_for_a_seamless_loop(tmp_path):
    out = tmp_path / "loop.wav"
    run("render_loop.py", str(out))
    audio, _ = sf.read(out, dtype="float32")
    seam, inside = seam_steps(audio)
    assert len(audio) == 8 * 2 * 48_000 and seam <= np.percentile(inside, 99)
    assert all(out.with_name(f"loop.{name}.wav").exists() for name in ("drums", "bass", "harmony", "lead"))


@pytest.mark.skipif(not KEY, reason="needs GEMINI_API_KEY or GOOGLE_API_KEY (Google's hosted model)")
def test_hosted_render_example_writes_the_same_clip_from_googles_model(tmp_path):
    run("hosted_render.py", str(tmp_path), env={**os.environ, "GEMINI_API_KEY": KEY or ""}, timeout=300)
    [wav] = tmp_path.glob("minimal-techno_124bpm_*_4bars.wav")
    assert sf.info(wav).frames == round(4 * 4 * 60 / 124 * 48_000)
