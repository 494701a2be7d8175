"""The ``livemusic`` command: play, repl, render, serve, devices.

Exit codes: 0 success, 2 bad input (preset, flags, config), 1 runtime failure.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import click

from livemusic.errors import InvalidInputError, LiveMusicError

BACKEND_CHOICE = click.Choice(["embedded", "gemini"])


def _fail(exc: BaseException) -> None:
    """Print one clear line and exit with 2 for bad input, 1 otherwise."""
    click.echo(f"livemusic: error: {exc}", err=True)
    sys.exit(2 if isinstance(exc, InvalidInputError) else 1)


def _run(coro) -> None:
    try:
        asyncio.run(coro)
    except KeyboardInterrupt:  # Ctrl-C: everything was closed on the way out
        sys.exit(130)
    except asyncio.CancelledError:  # SIGTERM cancels the main task
        sys.exit(143)
    except LiveMusicError as exc:
        _fail(exc)
    except Exception as exc:  # a bug or an OS failure: one line, the traceback with -vv
        logging.getLogger("livemusic").debug("unexpected failure", exc_info=True)
        _fail(exc)


def _use_soundfont(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    """``--soundfont``: the embedded engine, in this process or its own, plays acoustic parts from it."""
    if value is not None:
        from livemusic.engine.soundfont import SOUNDFONT_ENV

        os.environ[SOUNDFONT_ENV] = str(value)


_soundfont_option = click.option(
    "--soundfont", type=click.Path(exists=True, dir_okay=False, path_type=Path), expose_value=False, is_eager=True,
    callback=_use_soundfont, help="Play acoustic parts (piano, guitars, strings, brass, upright bass) from this General "
    "MIDI SoundFont (needs the soundfont extra; default: LIVEMUSIC_SOUNDFONT, else a system one if installed).")


def _playing_options(command):
    """The options shared by the commands that play live: play and repl."""
    for option in reversed([
        click.option("--record", "record", type=click.Path(dir_okay=False, path_type=Path),
                     help="Also record to this WAV."),
        click.option("--device", help="Output device: index or part of its name (see `livemusic devices`)."),
        click.option("--buffer-ms", default=None, type=click.IntRange(20, 10_000),
                     help="Playback buffer target in ms (default: 100 embedded, 2000 gemini, 500 other servers)."),
        click.option("--backend", type=BACKEND_CHOICE, help="Override the preset's backend."),
        click.option("--url", help="Any BidiGenerateMusic server (ws:// or wss://)."),
        click.option("--api-key", help="API key for Google (default: GOOGLE_API_KEY / GEMINI_API_KEY)."),
        click.option("--no-audio", is_flag=True, help="Do not open a sound device (record only)."),
        click.option("--midi", metavar="PORT", help="Steer with this MIDI input's knobs and pads (the preset's "
                                                     "midi: section; see `livemusic midi-learn`)."),
        _soundfont_option,
    ]):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.version_option(package_name="livemusic")
def main(verbose: int) -> None:
    """Live, steerable music generation over Google's Lyria RealTime protocol."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback unless told).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False), help="TLS certificate (PEM) for wss://.")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False), help="TLS private key (PEM).")
@click.option("--token", envvar="LIVEMUSIC_TOKEN", show_envvar=True,
              help="Clients must send it (bearer token or API key); required beyond loopback.")
@click.option("--resume-secret", envvar="LIVEMUSIC_RESUME_SECRET", show_envvar=True,
              help="Signs resumption handles: servers sharing it resume each other's sessions (default: random).")
@click.option("--max-sessions", type=click.IntRange(1), help="Sessions served at once (default 256).")
@click.option("--max-sessions-per-address", type=click.IntRange(1), help="Sessions per client address (default 32).")
@click.option("--forwarded-allow-ips", envvar="FORWARDED_ALLOW_IPS", show_envvar=True, default="",
              help="Comma-separated proxy addresses or networks (or *) whose X-Forwarded-For names the client "
                   "(for the per-address limit behind nginx); default none.")
@click.option("--idle-timeout", type=click.FloatRange(1),
              help="Seconds without a message or audio before a session is closed (default 600).")
@click.option("--max-session-seconds", type=click.FloatRange(1),
              help="End sessions after this long (1001), with a notice ahead so livemusic clients rotate.")
@_soundfont_option
@click.option("--child", is_flag=True, hidden=True,
              help="Run as the embedded engine of a parent: print LISTENING <port>, exit when stdin closes.")
def serve(host: str, port: int, certfile: str | None, keyfile: str | None, token: str | None,
          resume_secret: str | None, max_sessions: int | None, max_sessions_per_address: int | None,
          forwarded_allow_ips: str, idle_timeout: float | None, max_session_seconds: float | None,
          child: bool) -> None:
    """Run the embedded engine as a BidiGenerateMusic server (Google's SDK can connect).

    SIGTERM closes every session with 1001 (clients resume elsewhere) and exits 0.
    """
    from livemusic.server.limits import Limits, TrustedProxies
    from livemusic.server.process import run, ssl_context
    from livemusic.server.websocket import MusicServer

    if keyfile and not certfile:
        _fail(InvalidInputError("--keyfile needs --certfile"))
    context = ssl_context(certfile, keyfile) if certfile else None
    chosen = {"max_sessions": max_sessions, "max_sessions_per_address": max_sessions_per_address,
              "idle_timeout_s": idle_timeout, "max_session_s": max_session_seconds}
    limits = Limits(**{name: value for name, value in chosen.items() if value is not None})
    try:
        server = MusicServer(host, port, ssl_context=context, limits=limits, token=token or None,
                             resume_secret=resume_secret or None,
                             trusted_proxies=TrustedProxies(forwarded_allow_ips.split(",")))
    except LiveMusicError as exc:
        _fail(exc)
    if not child:  # a child's log would land on its parent's terminal
        logging.getLogger("livemusic.server").setLevel(min(logging.INFO, logging.getLogger().level))
    _run(run(server, child=child))


@main.command()
def devices() -> None:
    """List audio output devices (for --device)."""
    from livemusic.audio.player import list_output_devices

    try:
        found = list_output_devices()
    except LiveMusicError as exc:
        _fail(exc)
    if not found:
        click.echo("no output devices found")
    for device in found:
        mark = "*" if device.is_default else " "
        click.echo(f"{mark} {device.index:3d}  {device.name}  ({device.channels} ch, "
                   f"{device.default_sample_rate:.0f} Hz)")


@main.command()
@click.argument("preset", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--duration", help="How long to play (e.g. 90, 90s, 01:30, 32 bars); default: the preset's.")
@_playing_options
@click.option("--midi-out", metavar="PORT",
              help="Send the engine's notes to this MIDI port (made as a virtual port if none has the name).")
def play(preset: Path, duration: str | None, record: Path | None, device: str | None, buffer_ms: int | None,
         backend: str | None, url: str | None, api_key: str | None, no_audio: bool, midi: str | None,
         midi_out: str | None) -> None:
    """Play PRESET through the sound card, following its timeline."""
    engine, opening = _start_early(backend, url, api_key, device=device, buffer_ms=buffer_ms, audio=not no_audio)
    from livemusic.app import PlayOptions, play_preset
    from livemusic.presets import load_preset

    try:
        loaded = load_preset(preset)
        options = PlayOptions(duration=duration, record=record, device=device, buffer_ms=buffer_ms,
                              backend=backend, url=url, api_key=api_key, audio=not no_audio, midi=midi, midi_out=midi_out)
    except LiveMusicError as exc:
        _stop_early(engine, opening)
        _fail(exc)
    _run(play_preset(loaded, options, engine=engine, opening=opening))


@main.command()
@click.argument("preset", required=False, type=click.Path(dir_okay=False, path_type=Path))
@_playing_options
def repl(preset: Path | None, record: Path | None, device: str | None, buffer_ms: int | None, backend: str | None,
         url: str | None, api_key: str | None, no_audio: bool, midi: str | None) -> None:
    """Live-code: a Python prompt (top-level await) steering the music while it plays."""
    engine, opening = _start_early(backend, url, api_key, device=device, buffer_ms=buffer_ms, audio=not no_audio)
    from livemusic.controls import LiveOptions
    from livemusic.presets import load_preset
    from livemusic.repl import run_repl

    try:
        loaded = load_preset(preset) if preset is not None else None
    except LiveMusicError as exc:
        _stop_early(engine, opening)
        _fail(exc)
    options = LiveOptions(record=record, device=device, buffer_ms=buffer_ms, backend=backend, url=url,
                          api_key=api_key, audio=not no_audio, midi=midi)
    try:
        code = run_repl(loaded, options, engine=engine, opening=opening)
    except KeyboardInterrupt:
        sys.exit(130)
    except LiveMusicError as exc:
        _fail(exc)
    sys.exit(code)


@main.command("midi-learn")
@click.argument("preset", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("targets", nargs=-1)
@click.option("--port", help="MIDI input (name or part of it; default: the preset's midi.port).")
def midi_learn(preset: Path, targets: tuple[str, ...], port: str | None) -> None:
    """Map knobs and pads by moving them; writes PRESET's midi: section.

    TARGETS are prompts, config fields (brightness, density, bpm, ...), parts to toggle (mute_drums,
    mute_bass, only_bass_and_drums) or actions (play, pause, stop, reset); default: the preset's
    prompts, then brightness and density.
    """
    from livemusic.midi_control import MidiMapping, learn, open_input
    from livemusic.presets import load_preset

    async def run() -> None:
        loaded = load_preset(preset)
        mapping = loaded.midi or MidiMapping(port=port)
        name = port or mapping.port
        if not name:
            raise InvalidInputError("midi-learn: name the MIDI input with --port")
        midi_port, messages = open_input(name)
        try:
            chosen = list(targets) or [p.text for p in loaded.prompts] + ["brightness", "density"]
            mapping = await learn(mapping, chosen, messages, ask=click.echo)
        finally:
            midi_port.close()
        preset.write_text(loaded.model_copy(update={"midi": mapping}).to_yaml())
        click.echo(f"wrote the midi: section of {preset}")

    _run(run())


def _stop_early(engine, opening) -> None:
    """Stop what :func:`_start_early` started when it will not be used (bad input found meanwhile)."""
    if engine is not None:
        asyncio.run(engine.stop())
    opening.close()


def _start_early(backend: str | None, url: str | None, api_key: str | None, *, device: str | None,
                 buffer_ms: int | None, audio: bool):
    """Start the embedded engine (when the flags point to it) and open the sound card now, so that their
    start-up overlaps ours (imports, reading the preset, connecting).

    The preset may still choose another backend; then the engine is stopped unused (and the device opened
    again if that backend buffers differently).
    """
    from livemusic.device import BUFFER_MS, DeviceOpening
    from livemusic.live.endpoints import api_key_from_env
    from livemusic.music.embedded import EmbeddedEngine

    guess = "url" if url else backend or ("gemini" if api_key or api_key_from_env() else "embedded")
    opening = DeviceOpening(device=device, buffer_ms=buffer_ms or BUFFER_MS[guess], audio=audio)
    return (EmbeddedEngine.spawn() if guess == "embedded" else None), opening


@main.command()
@click.argument("preset", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--prompt", "prompts", multiple=True,
              help="Render these prompts instead of a preset (repeat; TEXT or TEXT:WEIGHT).")
@click.option("--bpm", type=click.IntRange(60, 200), help="Tempo (with --prompt, or over the preset's).")
@click.option("--scale", help="Key, e.g. A_FLAT_MAJOR_F_MINOR (with --prompt, or over the preset's).")
@click.option("--seed", type=int, help="Seed: the same seed renders the same music.")
@click.option("--out", "out", default=".", show_default=True, type=click.Path(path_type=Path),
              help="A .wav file, or a folder for a file named NAME_BPMbpm_KEY_Nbars.wav.")
@click.option("--duration", help="Length (e.g. 90, 01:30, 8 bars); default: the preset's.")
@click.option("--bars", type=click.IntRange(1, 100_000), help="Length in bars (through the tempo map; sample-exact).")
@click.option("--loop", is_flag=True, help="Make the end join the start seamlessly (tails folded into the start).")
@click.option("--stems", is_flag=True, help="Also write drums/bass/harmony/lead stems beside the WAV.")
@click.option("--midi", is_flag=True, help="Also write NAME.mid: the notes the engine played, lined up with the WAV.")
@click.option("--float", "float32", is_flag=True, help="Write 32-bit float WAVs instead of 16-bit.")
@click.option("--sample-rate", type=click.Choice(["44100", "48000"]), help="Output rate (default 48000).")
@click.option("--backend", type=BACKEND_CHOICE, help="Override the preset's backend.")
@click.option("--url", help="Any BidiGenerateMusic server (ws:// or wss://).")
@click.option("--api-key", help="API key for Google (default: GOOGLE_API_KEY / GEMINI_API_KEY).")
@_soundfont_option
def render(preset: Path | None, prompts: tuple[str, ...], bpm: int | None, scale: str | None, seed: int | None,
           out: Path, duration: str | None, bars: int | None, loop: bool, stems: bool, midi: bool, float32: bool,
           sample_rate: str | None, backend: str | None, url: str | None, api_key: str | None) -> None:
    """Render PRESET (or --prompt ...) to WAV as fast as the backend allows; loops, stems and MIDI for a DAW."""
    from livemusic.app import RenderOptions, render_preset
    from livemusic.presets import load_preset

    try:
        if duration and bars:
            raise InvalidInputError("give --duration or --bars, not both")
        if (preset is None) == (not prompts):
            raise InvalidInputError("give a PRESET or --prompt (not both)")
        loaded = load_preset(preset) if preset is not None else None
        config = {name: value for name, value in (("bpm", bpm), ("scale", scale), ("seed", seed)) if value is not None}
        options = RenderOptions(out=out, prompts=_weighted(prompts), config=config, duration=duration, bars=bars, stems=stems,
                                midi=midi, loop=loop, float32=float32,
                                sample_rate=int(sample_rate) if sample_rate else None, backend=backend, url=url,
                                api_key=api_key)
    except LiveMusicError as exc:
        _fail(exc)
    _run(render_preset(loaded, options))


def _weighted(prompts: tuple[str, ...]) -> dict[str, float]:
    """``--prompt`` values as ``{text: weight}``: ``TEXT`` weighs 1.0, ``TEXT:WEIGHT`` as given."""
    weights = {}
    for value in prompts:
        text, sep, weight = value.rpartition(":")
        try:
            weights[text.strip() if sep else value] = float(weight) if sep else 1.0
        except ValueError:
            weights[value] = 1.0  # a colon inside the text
    return weights


if __name__ == "__main__":
    main()
