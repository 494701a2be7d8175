"""A listener in a process of its own: streams one paced session into a virtual player.

    python tests/listener.py URL

Prints ``started`` once audio arrives, and when its stdin closes a JSON line
with the :class:`~livemusic.audio.playout.Playout` figures (frames,
underruns, underrun_s) and any error. Its own process, as a real listener's:
a thread of the test process would share the interpreter with what the test
does meanwhile and measure its own stalls, not the server's.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time

from websockets.sync.client import connect

from livemusic.audio.playout import Playout
from wire import PATH, SETUP


def listen(url: str, playout: Playout, stop: threading.Event) -> None:
    with connect(url + PATH, max_size=None) as ws:
        ws.send(SETUP)
        ws.recv()
        ws.send(json.dumps({"clientContent": {"weightedPrompts": [{"text": "deep house", "weight": 1}]}}))
        ws.send('{"playbackControl": "PLAY"}')
        while not stop.is_set():
            message = json.loads(ws.recv(timeout=5))
            for chunk in message.get("serverContent", {}).get("audioChunks", []):
                if not playout.frames:
                    print("started", flush=True)
                playout.arrive(time.monotonic(), len(base64.b64decode(chunk["data"])) // 4)


def main(url: str) -> None:
    playout = Playout(buffer_s=0.5)
    stop = threading.Event()
    error: list[str] = []

    def run() -> None:
        try:
            listen(url, playout, stop)
        except BaseException as exc:  # reported with the figures
            error.append(repr(exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    sys.stdin.read()  # until the test closes our stdin
    alive = thread.is_alive()
    stop.set()
    thread.join(10)
    print(json.dumps({"frames": playout.frames, "underruns": playout.underruns, "underrun_s": playout.underrun_s,
                      "alive": alive, "error": error[0] if error else None}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
