"""A hostile client cannot take the server down nor make another session's audio skip.

``livemusic serve`` runs in its own process; a listener streams from it on a
thread, feeding every chunk's arrival to a virtual player with a 0.5 s buffer
(``livemusic play``'s default for servers given by URL), while hypothesis
throws random and malformed frames at it on other connections: bad JSON,
wrong types, out-of-range values, huge and binary frames, messages before
setup, floods, and half-open connections that never finish their handshake.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from livemusic.audio.playout import Playout
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


class Listener(threading.Thread):
    """Streams one paced session and plays it into a :class:`Playout`."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.playout = Playout(buffer_s=0.5)
        self.stop = threading.Event()
        self.started = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with connect(self.url + PATH, max_size=None) as ws:
                ws.send(SETUP)
                ws.recv()
                ws.send(json.dumps({"clientContent": {"weightedPrompts": [{"text": "deep house", "weight": 1}]}}))
                ws.send('{"playbackControl": "PLAY"}')
                while not self.stop.is_set():
                    message = json.loads(ws.recv(timeout=5))
                    for chunk in message.get("serverContent", {}).get("audioChunks", []):
                        self.playout.arrive(time.monotonic(), len(base64.b64decode(chunk["data"])) // 4)
                        self.started.set()
        except BaseException as exc:  # reported by the test
            self.error = exc


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
        listener.start()
        assert listener.started.wait(20), listener.error
        half_open = []
        for partial in (b"", b"GET / HTTP/1.1\r\nHost: x\r\n"):  # handshakes that never finish
            address = urlsplit(served.url)
            sock = socket.create_connection((address.hostname, address.port))
            sock.sendall(partial)
            half_open.append(sock)
        yield served, listener
        for sock in half_open:
            sock.close()
        listener.stop.set()
        listener.join(10)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(session=sessions)
@example(session=FLOOD)
def test_malformed_frames_close_only_their_connection(target, session):
    served, listener = target
    attack(served.url, *session)
    assert served.process.poll() is None, "the server fell"
    assert listener.is_alive(), listener.error


def test_the_listener_heard_no_gap_while_the_server_was_attacked(target):
    served, listener = target
    assert listener.playout.frames > 0 and listener.is_alive(), listener.error
    assert listener.playout.underruns == 0, f"{listener.playout.underrun_s:.3f} s of gaps"
    assert not any("Traceback" in line for line in served.log), "".join(served.log)

