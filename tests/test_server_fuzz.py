"""A hostile client cannot take the server down nor make another session's audio skip.

``livemusic serve`` runs in its own process; a listener streams from it in
another (``tests/listener.py``), feeding every chunk's arrival to a virtual player with a 0.5 s buffer
(``livemusic play``'s default for servers given by URL), while hypothesis
throws random and malformed frames at it on other connections: bad JSON,
wrong types, out-of-range values, huge and binary frames, messages before
setup, floods, and half-open connections that never finish their handshake.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from serving import serve_process
from wire import PATH, SETUP

#: Close codes a refused client may get; 1011 would be a bug.
REFUSALS = {1001, 1007, 1008, 1009}
KEYS = ["setup", "clientContent", "musicGenerationConfig", "playbackControl", "livemusicAt", "weightedPrompts",
        "bpm", "model", "text", "weight", "seed", "scale", "realtimeInput"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    max_leaves=12,
)
configs = st.fixed_dictionaries({}, optional={
    "bpm": st.integers(-10, 400), "density": st.floats(-1, 2), "brightness": st.floats(-1, 2),
    "temperature": st.floats(-1, 5), "topK": st.integers(-5, 2000), "guidance": st.floats(-1, 9),
    "seed": st.integers(-(2**40), 2**40), "scale": st.sampled_from(["C_MAJOR_A_MINOR", "H_MAJOR", ""]),
    "muteBass": st.booleans() | st.integers()})
prompts = st.lists(st.fixed_dictionaries({"text": st.text(max_size=30), "weight": st.floats(-3, 3)}), max_size=5)
messages = st.one_of(
    st.builds(lambda c: {"musicGenerationConfig": c}, configs),
    st.builds(lambda p: {"clientContent": {"weightedPrompts": p}}, prompts),
    st.builds(lambda c: {"playbackControl": c}, st.sampled_from(["PLAY", "PAUSE", "STOP", "RESET_CONTEXT", "x", 1])),
    st.builds(lambda at: {"playbackControl": "PLAY", "livemusicAt": at}, st.integers(-5, 2**63)),
    st.dictionaries(st.sampled_from(KEYS), json_values, max_size=3),
)
frames = st.one_of(
    st.builds(json.dumps, messages),
    st.builds(json.dumps, json_values),
    st.text(max_size=200),
    st.binary(max_size=200),
    st.just("x" * 70_000),  # over the 64 KiB limit
    st.builds(lambda n: json.dumps({"clientContent": {"weightedPrompts": [{"text": "a", "weight": 1}] * n}}),
              st.integers(30, 40)),
)
FLOOD = (True, ['{"playbackControl": "PAUSE"}'], 150)  # valid messages, too many per second
sessions = st.tuples(st.booleans(), st.lists(frames, min_size=1, max_size=6), st.sampled_from([1, 2, 150])) | st.just(FLOOD)


class Listener:
    """Streams one paced session into a virtual player, in its own process (``tests/listener.py``)."""

    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen([sys.executable, str(Path(__file__).parent / "listener.py"), url],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)})

    def started(self) -> bool:
        return self.process.stdout.readline().strip() == "started"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> dict:
        """End the session: what the listener heard (frames, underruns, underrun_s, whether it was streaming)."""
        heard = json.loads(self.process.communicate("", timeout=20)[0].strip().splitlines()[-1])
        return heard


def attack(url: str, send_setup: bool, bad: list[str | bytes], repeat: int) -> None:
    """Send ``bad`` (``repeat`` times: floods) on a fresh connection; the server refuses or keeps it open."""
    with connect(url + PATH, max_size=None, close_timeout=2) as ws:
        try:
            if send_setup:
                ws.send(SETUP)
            for frame in bad * repeat:
                ws.send(frame)
            # Audio, warnings, until the server closes or falls silent; a valid PLAY streams for
            # ever, so a connection still open after 2 s was kept open.
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:
                ws.recv(timeout=0.3)
        except TimeoutError:
            return  # valid enough to keep open
        except ConnectionClosed as closed:
            assert closed.rcvd is not None, "closed without a close frame"
            assert closed.rcvd.code in REFUSALS, closed.rcvd
            assert closed.rcvd.reason


@pytest.fixture(scope="module")
def target():
    with serve_process() as served:
        listener = Listener(served.url)
        try:
            assert listener.started(), listener.stop()
            half_open = []
            for partial in (b"", b"GET / HTTP/1.1\r\nHost: x\r\n"):  # handshakes that never finish
                address = urlsplit(served.url)
                sock = socket.create_connection((address.hostname, address.port))
                sock.sendall(partial)
                half_open.append(sock)
            yield served, listener
            for sock in half_open:
                sock.close()
        finally:
            if listener.alive():
                listener.process.kill()


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(session=sessions)
@example(session=FLOOD)
def test_malformed_frames_close_only_their_connection(target, session):
    served, listener = target
    attack(served.url, *session)
    assert served.process.poll() is None, "the server fell"
    assert listener.alive(), listener.stop()


def test_the_listener_heard_no_gap_while_the_server_was_attacked(target):
    served, listener = target
    heard = listener.stop()
    assert heard["frames"] > 0 and heard["alive"], heard["error"]
    assert heard["underruns"] == 0, f"{heard['underrun_s']:.3f} s of gaps"
    assert not any("Traceback" in line for line in served.log), "".join(served.log)

