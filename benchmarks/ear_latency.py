"""Change sent -> change heard at the device, end to end, on a PulseAudio null sink.

Plays minimal techno on the embedded engine through the same path as
``livemusic play`` and ``livemusic repl`` (session -> ring buffer -> PyAudio
on the default output, livemusic's defaults unless ``--buffer-ms`` /
``--chunk-ms`` say otherwise) while ``parec`` records the sink's monitor.
Then, ``--changes`` times, it silences everything (mute drums and bass, only
bass and drums) and brings it back, noting the wall-clock time just before
each ``update_config`` call, and finds in the recording where each change
is heard (see :func:`heard_at`). Printed:
median and worst per direction and overall, the device latency PortAudio
reports, underruns, frames dropped to hold the buffer at its target, how
close the buffer came to empty, the longest gap between device callbacks (a
device stall) and the device's own underflows.

Wall clock <-> recording: each read from parec is stamped; sample k was
captured no later than its read, so ``t0 = min(read time - k / rate)``
over all reads maps sample k to ``t0 + k / rate`` (the monitor's own small
latency is counted as part of what a listener would hear).

    eval "$(.ci/sound-server)"; python benchmarks/ear_latency.py [--changes 10] [--seconds 0]

``--seconds N`` plays N more seconds afterwards and reports underruns over the
whole session (the 5-minute soak: ``--seconds 300``).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time

import numpy as np

from livemusic import AsyncLiveMusic
from livemusic.stage import BUFFER_MS, Stage, chunk_ms_for

RATE = 48_000
WINDOW = RATE // 1000  # 1 ms
LOUD = 400  # an unmute must at least pass this peak (about -38 dBFS)
QUIET_HOLD_MS = 60
SILENCE = {"mute_drums": True, "mute_bass": True, "only_bass_and_drums": True}
SOUND = {"mute_drums": False, "mute_bass": False, "only_bass_and_drums": False}


class MonitorRecorder:
    """``parec`` on ``null.monitor`` into memory, with a wall-clock anchor for sample 0."""

    def __init__(self, source: str) -> None:
        if shutil.which("parec") is None:
            sys.exit("parec not found: install pulseaudio-utils (eval \"$(.ci/sound-server)\" does)")
        self._proc = subprocess.Popen(
            ["parec", "-d", source, "--format=s16le", f"--rate={RATE}", "--channels=2", "--latency-msec=5"],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self._chunks: list[bytes] = []
        self._bytes = 0
        self.t0 = float("inf")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        while data := self._proc.stdout.read1(4096):
            now = time.perf_counter()
            self._chunks.append(data)
            self._bytes += len(data)
            self.t0 = min(self.t0, now - self._bytes / 4 / RATE)

    def stop(self) -> np.ndarray:
        self._proc.terminate()
        self._proc.wait(5)
        self._thread.join(5)
        pcm = np.frombuffer(b"".join(self._chunks), "<i2")
        return pcm[: len(pcm) // 2 * 2].reshape(-1, 2)


def peaks_per_ms(audio: np.ndarray) -> np.ndarray:
    n = len(audio) // WINDOW
    return np.abs(audio[: n * WINDOW].astype(np.int32)).reshape(n, WINDOW * 2).max(axis=1)


def heard_at(peaks: np.ndarray, start_ms: int, silence: bool) -> int | None:
    """The first ms at or after ``start_ms`` where the change shows.

    A mute shows where the level falls below a fifth (-14 dB) of the median
    level of the half second before, and stays there for 60 ms (the
    engine's reverb and release tails fade on below that). An unmute shows
    at the first ms louder than four times (+12 dB) the loudest ms of the
    200 ms before (what was still fading) and than ``LOUD``.
    """
    if silence:
        quiet = peaks < np.median(peaks[max(0, start_ms - 500):start_ms]) / 5
        run = 0
        for i in range(start_ms, len(peaks)):
            run = run + 1 if quiet[i] else 0
            if run >= QUIET_HOLD_MS:
                return i - QUIET_HOLD_MS + 1
        return None
    threshold = max(LOUD, 4 * int(peaks[max(0, start_ms - 200):start_ms].max(initial=0)))
    loud = np.nonzero(peaks[start_ms:] > threshold)[0]
    return start_ms + int(loud[0]) if len(loud) else None


async def run(changes: int, seconds: float, buffer_ms: int | None, chunk_ms: int | None,
              source: str, save: str | None) -> None:
    buffer_ms = buffer_ms or BUFFER_MS["embedded"]
    chunk_ms = chunk_ms or chunk_ms_for("embedded", buffer_ms)
    recorder = MonitorRecorder(source)
    sent: list[tuple[float, bool]] = []
    stage = await Stage.open(AsyncLiveMusic(backend="embedded").connect(chunk_ms=chunk_ms), buffer_ms=buffer_ms)
    session = stage.session
    try:
        if stage.player is None:
            sys.exit("no sound device: start a sound server (eval \"$(.ci/sound-server)\")")
        await session.set_weighted_prompts({"minimal techno": 1.0, "rhodes piano": 0.5})
        await session.set_music_generation_config({"bpm": 124, "density": 0.8, "seed": 7})
        await session.play()
        await asyncio.sleep(3.0)
        rng = random.Random(1)
        for _ in range(changes):
            for silence in (True, False):
                await asyncio.sleep(rng.uniform(1.0, 1.6))
                sent.append((time.perf_counter(), silence))
                await session.update_config(**(SILENCE if silence else SOUND))
        await asyncio.sleep(1.0 + seconds)
        player = stage.player
        underruns, dropped = player.underrun_frames, player.dropped_frames
        lowest, stall, device_underflows = player.lowest_fill_frames, player.longest_callback_gap_s, \
            player.device_underflows
        device_latency = player.latency_seconds
        played = player.played_frames / RATE
    finally:
        await stage.close()
        await session.close()
    audio = recorder.stop()
    if save:
        import soundfile

        soundfile.write(save, audio, RATE)
        with open(save + ".changes", "w") as out:
            out.writelines(f"{(when - recorder.t0):.4f} {'mute' if silence else 'unmute'}\n" for when, silence in sent)
    peaks = peaks_per_ms(audio)
    results: dict[bool, list[float]] = {True: [], False: []}
    missed = 0
    for when, silence in sent:
        start = round((when - recorder.t0) * 1000)
        found = heard_at(peaks, start, silence)
        if found is None:
            missed += 1
        else:
            results[silence].append((found - start) / 1000)
    every = results[True] + results[False]
    print(f"change sent -> heard at the device, embedded engine, buffer {buffer_ms} ms, chunks {chunk_ms} ms, "
          f"{len(sent)} changes ({changes} mutes + {changes} unmutes)")
    for label, values in (("mute (sound -> silence)", results[True]), ("unmute (silence -> sound)", results[False]),
                          ("all", every)):
        if values:
            print(f"  {label:26s} median {statistics.median(values) * 1000:4.0f} ms, "
                  f"worst {max(values) * 1000:4.0f} ms (n={len(values)})")
    if missed:
        print(f"  {missed} changes not detected in the recording")
    print(f"  device latency reported by PortAudio {device_latency * 1000:.0f} ms; played {played:.1f} s, "
          f"underruns {underruns} frames, dropped to hold the buffer {dropped} frames")
    print(f"  closest to empty: {(lowest or 0) / RATE * 1000:.0f} ms left in the buffer; longest gap between "
          f"device callbacks {stall * 1000:.0f} ms; device underflows (ALSA xruns) {device_underflows}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=10, help="mute/unmute pairs (default 10)")
    parser.add_argument("--seconds", type=float, default=0.0, help="play this much longer (underrun soak)")
    parser.add_argument("--buffer-ms", type=int, help=f"client buffer target (default {BUFFER_MS['embedded']})")
    parser.add_argument("--chunk-ms", type=int, help="chunk length asked of the engine "
                                                      "(default: the buffer less 60 ms, 40-200)")
    parser.add_argument("--source", default="null.monitor", help="PulseAudio source to record")
    parser.add_argument("--save", metavar="WAV", help="also write the recording (and WAV.changes: times sent)")
    args = parser.parse_args()
    asyncio.run(run(args.changes, args.seconds, args.buffer_ms, args.chunk_ms, args.source, args.save))


if __name__ == "__main__":
    main()
