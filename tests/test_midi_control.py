"""MIDI control: the preset's midi: section, the mapper fed mido messages, a session steered by them."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import mido
import pytest

from livemusic.controls import Controls, LiveOptions
from livemusic.errors import PresetError
from livemusic.midi_control import CcTarget, MidiMapper, MidiMapping, NoteAction, learn
from livemusic.presets import parse_preset

ROOT = Path(__file__).resolve().parents[1]


def cc(control: int, value: int, channel: int = 0) -> mido.Message:
    return mido.Message("control_change", control=control, value=value, channel=channel)


def note(number: int, channel: int = 0) -> mido.Message:
    return mido.Message("note_on", note=number, velocity=100, channel=channel)


async def feed(*messages):
    for message in messages:
        yield message
        await asyncio.sleep(0.15)  # a hand on a knob: slower than the 10/s a field may change


def mapper(cc_map=None, notes=None, current=0.5, channel=None):
    mapping = MidiMapping(cc=cc_map or {}, notes=notes or {}, channel=channel)
    return MidiMapper(mapping, lambda target: current)


def test_a_bad_midi_section_names_file_line_and_field():
    text = "name: m\nprompts: {techno: 1.0}\nmidi:\n  cc:\n    16: {prompt: techno}\n    18: {config: brightnes}\n"
    with pytest.raises(PresetError, match=r"m.yaml:6: midi.cc\[18\].config"):
        parse_preset(text, path="m.yaml")
    with pytest.raises(PresetError, match=r"m.yaml:4: midi.cc\[200\]"):
        parse_preset("name: m\nprompts: {techno: 1.0}\nmidi:\n  cc: {200: {prompt: techno}}\n", path="m.yaml")


def test_cc_spans_a_prompt_weight_0_to_2_and_a_field_over_its_range():
    assert CcTarget(prompt="techno").value(127) == 2.0
    assert CcTarget(prompt="techno").value(0) == 0.0
    assert CcTarget(config="brightness").value(127) == 1.0
    assert CcTarget(config="bpm", range=(100, 140)).value(64) == 120


def test_a_knob_takes_over_only_once_it_passes_the_current_value():
    m = mapper({18: CcTarget(config="brightness")}, current=0.5)
    assert m.feed(cc(18, 10), 0.0) == []  # far below the music's 0.5: ignored, no jump
    assert m.feed(cc(18, 40), 1.0) == []
    changes = m.feed(cc(18, 70), 2.0)  # crossed 0.5 (63.5): taken over
    assert [(c.kind, c.name, c.value) for c in changes] == [("config", "brightness", 0.551)]


def test_changes_to_one_field_leave_at_most_ten_times_a_second_latest_winning():
    m = mapper({18: CcTarget(config="brightness")}, current=0.0)
    sent = []
    for i in range(50):  # a fast sweep: 50 messages in half a second
        sent += m.feed(cc(18, i), i * 0.01)
        sent += m.due(i * 0.01)
    sent += m.due(0.6)
    assert 5 <= len(sent) <= 7
    assert sent[-1].value == CcTarget(config="brightness").value(49)


def test_pads_toggle_parts_trigger_actions_and_scenes_on_their_channel():
    scene = {"prompts": {"ambient": 1.0}, "config": {"density": 0.2}}
    m = mapper(notes={36: NoteAction(toggle="mute_drums"), 37: NoteAction(action="reset"),
                      38: NoteAction.model_validate({"scene": scene})}, channel=2)
    assert m.feed(note(36, channel=0), 0.0) == []  # another channel
    assert [(c.kind, c.name) for c in m.feed(note(36, channel=1), 0.0)] == [("toggle", "mute_drums")]
    assert [(c.kind, c.name) for c in m.feed(note(37, channel=1), 0.0)] == [("action", "reset")]
    assert m.feed(note(38, channel=1), 0.0)[0].value.prompts == {"ambient": 1.0}


async def test_knobs_and_pads_steer_a_playing_session():
    controls = await Controls.open({"minimal techno": 1.0}, LiveOptions(audio=False))
    try:
        mapping = MidiMapping(cc={16: CcTarget(prompt="rhodes piano"), 18: CcTarget(config="brightness")},
                              notes={36: NoteAction(toggle="mute_drums")})
        # unset brightness takes over from the middle; a prompt not playing weighs 0
        controls.start_midi("test", mapping, feed(cc(18, 60), cc(18, 70), cc(16, 0), cc(16, 64), note(36)),
                            port=mido.ports.BaseOutput())
        await asyncio.sleep(1.2)
        config = controls.session.config
        assert config.brightness == CcTarget(config="brightness").value(70)
        assert config.mute_drums is True
        weights = {p.text: p.weight for p in controls.session.prompts}
        assert weights["rhodes piano"] == CcTarget(prompt="rhodes piano").value(64)
    finally:
        await controls.finish()


async def test_learn_maps_the_next_controls_moved_and_the_preset_keeps_them():
    async def moves():
        for message in (mido.Message("clock"), cc(21, 5), note(40)):
            yield message

    mapping = await learn(MidiMapping(port="pads"), ["brightness", "mute_bass"], moves(), ask=lambda _: None)
    assert mapping.cc[21] == CcTarget(config="brightness") and mapping.notes[40] == NoteAction(toggle="mute_bass")
    preset = parse_preset("name: m\nprompts: {techno: 1.0}\n").model_copy(update={"midi": mapping})
    assert parse_preset(preset.to_yaml()).midi == mapping


def has_rtmidi() -> bool:
    try:
        import rtmidi  # noqa: F401
    except ImportError:
        return False
    return True


#: Runs the command line with python-rtmidi hidden, as when the midi/daw extra is not installed.
WITHOUT_RTMIDI = "import sys; sys.modules['rtmidi'] = None; from livemusic.cli import main; main()"


@pytest.mark.parametrize("flag, extra", [("--midi", "midi"), ("--midi-out", "daw")])
@pytest.mark.parametrize("rtmidi", ["installed", "missing"])
def test_a_midi_port_that_cannot_be_opened_is_one_clear_line(flag, extra, rtmidi):
    # RtMidi's C code prints ALSA's and JACK's own complaints (no /dev/snd/seq, no server) to fd 2: they must
    # not show. A JACK server that is not running stands for a machine without one.
    if rtmidi == "installed" and not has_rtmidi():
        pytest.skip("python-rtmidi is not installed (the midi/daw extra)")
    if rtmidi == "installed" and os.path.exists("/dev/snd/seq"):
        pytest.skip("the ALSA sequencer is here: the port opens")
    launch = ["-c", WITHOUT_RTMIDI] if rtmidi == "missing" else ["-m", "livemusic.cli"]
    no_jack = {"JACK_DEFAULT_SERVER": f"livemusic-absent-{os.getpid()}", "JACK_NO_START_SERVER": "1"}
    result = subprocess.run([sys.executable, *launch, "play", "presets/funk.yaml", "--no-audio", "--duration", "2",
                             flag, "no-such-port"], capture_output=True, text=True, cwd=ROOT, timeout=60,
                            stdin=subprocess.DEVNULL, env={**os.environ, **no_jack})
    assert result.returncode == 2
    assert result.stderr.startswith(f"livemusic: error: {flag}") and result.stderr.count("\n") == 1, result.stderr
    if rtmidi == "missing":
        assert f"pip install 'livemusic[{extra}]'" in result.stderr
