"""A timeline PAUSE through the sound card: the device pauses with its ramp, no underruns counted."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRESET = """
name: pause
config: {bpm: 120, seed: 3}
prompts: {minimal techno: 1.0}
duration: 5
timeline:
  - at: 1.5
    control: PAUSE
  - at: 2.5
    control: PLAY
"""


def test_timeline_pause_is_not_counted_as_underruns(tmp_path, sound_output):
    preset = tmp_path / "pause.yaml"
    preset.write_text(PRESET)
    # A roomy buffer: this is about the pause, not about keeping up on a loaded machine (benchmarks/ear_latency.py).
    result = subprocess.run([sys.executable, "-m", "livemusic.cli", "play", str(preset), "--buffer-ms", "300"],
                            capture_output=True,
                            text=True, timeout=60, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert "underruns: 0 frames" in result.stderr
    played = float(result.stderr.split("played ")[1].split(" s")[0])
    skipped = float(result.stderr.split("skipped to hold the latency: ")[1].split(" s")[0])  # while the device started
    assert 3.0 <= played + skipped <= 4.5  # 5 s of timeline, 1 s of it paused
