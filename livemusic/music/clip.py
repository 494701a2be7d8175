"""``Clip``: a rendered piece of music for a DAW, its stems and MIDI, and the files it writes.

A clip is float32 audio shaped ``(frames, 2)`` at ``sample_rate`` plus what a
producer needs to drop it into a project: its tempo, length in bars, key,
stems and the notes behind it. ``clip.write(folder)`` writes::

    minimal-techno_124bpm_Fmin_8bars.wav          the mix (tempo and key in the name and INFO comment)
    minimal-techno_124bpm_Fmin_8bars.drums.wav    the stems, when rendered with stems=True
    minimal-techno_124bpm_Fmin_8bars.mid          the MIDI, when rendered with midi=True
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import mido
import numpy as np
import soundfile as sf

from livemusic.errors import InvalidInputError
from livemusic.music.midi import midi_file
from livemusic.music.tempo import TempoMap
from livemusic.types import LiveMusicNote, Scale

#: Note names as the protocol's scales spell them (flats).
NOTE_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
#: Output rates offered besides the engine's own 48 kHz.
SAMPLE_RATES = (44_100, 48_000)


@dataclass(frozen=True)
class Clip:
    """Rendered music: ``audio`` float32 ``(frames, 2)`` (full scale 1.0) and what a DAW needs with it.

    ``bpm`` is the tempo at the start (``tempo`` holds any changes), ``bars`` the
    length in 4/4 bars through the tempo map, ``key`` e.g. ``"Fmin"`` (``None``
    when unknown), ``stems`` name -> audio like ``audio``, ``notes`` what the engine
    played (``None`` unless rendered with ``midi=True``). A ``loop`` clip's end joins
    its start.
    """

    audio: np.ndarray
    sample_rate: int
    bpm: float
    bars: float
    key: str | None
    tempo: TempoMap
    stems: dict[str, np.ndarray] = field(default_factory=dict)
    notes: tuple[LiveMusicNote, ...] | None = None
    name: str = "livemusic"
    loop: bool = False

    @property
    def frames(self) -> int:
        return len(self.audio)

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate

    @property
    def midi(self) -> mido.MidiFile | None:
        """The notes as a MIDI file that lines up with the audio from bar 1 (``None`` without notes)."""
        if self.notes is None:
            return None
        return midi_file(self.notes, self.tempo, frames=self.frames, key=self.key, sample_rate=self.sample_rate,
                         name=self.name)

    @property
    def filename(self) -> str:
        """``name_124bpm_Fmin_8bars.wav``: the tempo, key and length a DAW user looks for."""
        parts = [_slug(self.name), f"{self.bpm:g}bpm"]
        if self.key:
            parts.append(self.key)
        parts.append(f"{round(self.bars, 2):g}bars")
        return "_".join(parts) + ".wav"

    @property
    def comment(self) -> str:
        """The WAV INFO comment: tempo, key, length, loop."""
        text = f"bpm={self.bpm:g} bars={round(self.bars, 2):g} time=4/4"
        if self.key:
            text += f" key={self.key}"
        return text + (" loop=yes" if self.loop else "")

    def resampled(self, sample_rate: int) -> Clip:
        """This clip at ``sample_rate`` (44100 or 48000), stems too; notes keep their times.

        Uses libsoxr (``pip install 'livemusic[daw]'``); a loop is resampled as a periodic
        signal, so it still joins seamlessly and keeps its exact length in bars.
        """
        if sample_rate not in SAMPLE_RATES:
            raise InvalidInputError(f"sample_rate: must be one of {', '.join(map(str, SAMPLE_RATES))}, "
                                    f"got {sample_rate}")
        if sample_rate == self.sample_rate:
            return self
        frames = round(self.frames * sample_rate / self.sample_rate)
        convert = lambda audio: _resample(audio, self.sample_rate, sample_rate, frames, self.loop)  # noqa: E731
        notes = None if self.notes is None else tuple(
            n.model_copy(update={"frame": round(n.frame * sample_rate / self.sample_rate),
                                 "length": round(n.length * sample_rate / self.sample_rate)}) for n in self.notes)
        return replace(self, audio=convert(self.audio), sample_rate=sample_rate,
                       stems={name: convert(stem) for name, stem in self.stems.items()}, notes=notes)

    def write(self, path: str | Path = ".", *, float32: bool = False, sample_rate: int | None = None) -> Path:
        """Write the WAV, its stems (``NAME.drums.wav``...) and ``NAME.mid`` beside it; returns the WAV's path.

        ``path`` is a folder (the file is named :attr:`filename`) or a ``.wav`` path.
        ``float32`` writes 32-bit float instead of 16-bit PCM; ``sample_rate`` 44100
        resamples first.
        """
        clip = self.resampled(sample_rate) if sample_rate else self
        out = Path(path)
        if out.suffix.lower() != ".wav":
            out = out / clip.filename
        out.parent.mkdir(parents=True, exist_ok=True)
        subtype = "FLOAT" if float32 else "PCM_16"
        clip._write_wav(out, clip.audio, subtype)
        for name, stem in clip.stems.items():
            clip._write_wav(out.with_name(f"{out.stem}.{name}.wav"), stem, subtype)
        song = clip.midi
        if song is not None:
            song.save(out.with_suffix(".mid"))
        return out

    def _write_wav(self, path: Path, audio: np.ndarray, subtype: str) -> None:
        with sf.SoundFile(path, "w", self.sample_rate, audio.shape[1], subtype, format="WAV") as wav:
            wav.title = self.name
            wav.comment = self.comment
            wav.software = "livemusic"
            wav.write(audio if subtype == "FLOAT" else np.clip(audio, -1.0, 32767 / 32768))
        _append_chunk(path, b"acid", self._acid())

    def _acid(self) -> bytes:
        """An ACID chunk: the tempo, beats, meter and root note that Logic, Reaper, FL Studio and Bitwig
        read to fit a file to the project (the layout libsndfile reads: flags, root, two unknowns,
        beats, meter denominator and numerator, tempo)."""
        root = NOTE_NAMES.index(self.key[:-3]) if self.key else None
        flags = 0x04 | (0x02 if root is not None else 0) | (0 if self.loop else 0x01)  # stretch, root, one-shot
        beats = round(self.bars * 4)
        return struct.pack("<IHHfIHHf", flags, 60 + (root or 0), 0x8000, 0.0, beats, 4, 4, float(self.bpm))

    def __repr__(self) -> str:
        extras = [f"stems={sorted(self.stems)}"] if self.stems else []
        if self.notes is not None:
            extras.append(f"notes={len(self.notes)}")
        return (f"Clip({self.name!r}, {self.seconds:.2f} s, {self.bpm:g} bpm, {round(self.bars, 2):g} bars, "
                f"key={self.key}, {self.sample_rate} Hz{', loop' if self.loop else ''}"
                + "".join(f", {e}" for e in extras) + ")")


def estimate_key(notes: Sequence[LiveMusicNote], scale: Scale | None = None) -> str | None:
    """The key of the notes played, e.g. ``"Fmin"``: the major scale (``scale``, or else the one holding
    most of the note time), then its major or relative minor tonic, whichever the bass and chords
    dwell on more. Without tonal notes, the major key of ``scale`` (``None`` when that is unset too).
    """
    weights = np.zeros(12)
    roots = np.zeros(12)
    for note in notes:
        if note.part == "drums" or note.length <= 0:
            continue
        weights[note.pitch % 12] += note.length
        if note.part in ("bass", "harmony"):
            roots[note.pitch % 12] += note.length * (2.0 if note.part == "bass" else 1.0)
    known = scale.tonic if scale is not None else None
    if not weights.any():
        return None if known is None else f"{NOTE_NAMES[known]}maj"
    major = (0, 2, 4, 5, 7, 9, 11)
    tonic = known if known is not None else max(
        range(12), key=lambda t: (sum(weights[(t + step) % 12] for step in major), roots[t]))
    minor = (tonic + 9) % 12
    return f"{NOTE_NAMES[minor]}min" if roots[minor] > roots[tonic] else f"{NOTE_NAMES[tonic]}maj"


def _append_chunk(path: Path, name: bytes, body: bytes) -> None:
    """Add a chunk at the end of a RIFF WAV and fix the RIFF size (readers skip chunks they do not know)."""
    with open(path, "r+b") as riff:
        if riff.read(4) != b"RIFF":
            return  # RF64 or other: leave it
        riff.seek(0, 2)
        riff.write(name + struct.pack("<I", len(body)) + body + b"\0" * (len(body) & 1))
        size = riff.tell() - 8
        riff.seek(4)
        riff.write(struct.pack("<I", size))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "livemusic"


def _resample(audio: np.ndarray, rate: int, new_rate: int, frames: int, periodic: bool) -> np.ndarray:
    """``audio`` at ``new_rate``, ``frames`` long, by libsoxr (the SoX resampler) at its best quality.

    A loop is resampled as one period of a periodic signal: three copies in a row,
    of which the middle one is kept, so its seam stays seamless.
    """
    try:
        import soxr
    except ImportError:
        raise InvalidInputError("resampling needs the soxr package: pip install 'livemusic[daw]'") from None
    source = np.concatenate([audio, audio, audio]) if periodic else audio
    out = soxr.resample(np.ascontiguousarray(source, dtype=np.float32), rate, new_rate, quality="VHQ")
    if periodic:
        out = out[frames:2 * frames]
    elif len(out) < frames:
        out = np.concatenate([out, np.zeros((frames - len(out), out.shape[1]), out.dtype)])
    return np.ascontiguousarray(out[:frames], dtype=np.float32)
