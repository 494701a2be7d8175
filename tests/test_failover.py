"""Two ``livemusic serve`` processes behind nginx: one is killed, and the session goes on on the other.

nginx (Debian's package; ``.ci/run`` installs it) runs on loopback as a
WebSocket proxy with the second server as a backup. The servers share a
resume secret, so the session resumes on the backup with the same prompts,
config, seed and stream position.
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from livemusic import AsyncLiveMusic, EventKind
from livemusic.types import SAMPLE_RATE
from serving import serve_process
from test_resume import take

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
pytestmark = pytest.mark.skipif(NGINX is None and os.environ.get("CI") != "true",
                                reason="nginx is not installed (.ci/run installs it)")

CONFIG = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream livemusic {{
        server 127.0.0.1:{first} max_fails=1 fail_timeout=30s;
        server 127.0.0.1:{second} backup;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://livemusic;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_read_timeout 300s;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_nginx(directory: Path, first: int, second: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    (directory / "nginx.conf").write_text(CONFIG.format(dir=directory, first=first, second=second, port=port))
    process = subprocess.Popen([NGINX, "-p", str(directory), "-c", str(directory / "nginx.conf")],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process, port
        except OSError:
            if process.poll() is not None:
                raise AssertionError(f"nginx did not start: {process.stderr.read().decode()}") from None
            time.sleep(0.05)
    raise AssertionError("nginx did not listen")


async def test_a_session_continues_on_the_other_server_when_one_behind_nginx_is_killed(tmp_path):
    env = {**os.environ, "LIVEMUSIC_RESUME_SECRET": "shared behind the proxy"}
    chunks: list = []
    with serve_process(env=env) as first, serve_process(env=env) as second:
        nginx, port = start_nginx(tmp_path, urlsplit(first.url).port, urlsplit(second.url).port)
        try:
            session = await AsyncLiveMusic(url=f"ws://127.0.0.1:{port}").connect()
            await session.set_weighted_prompts({"minimal techno": 1.0})
            await session.set_music_generation_config({"bpm": 126})
            await session.play()
            stream = session.receive()
            await take(stream, chunks, SAMPLE_RATE // 2)
            before = len(chunks)
            first.process.kill()
            await take(stream, chunks, SAMPLE_RATE // 2)
            await session.close()
        finally:
            nginx.terminate()
            nginx.wait(10)
        assert second.process.poll() is None
    kinds = [e.kind for e in session.events if e.kind is not EventKind.RECONNECTING]  # attempts nginx refused
    assert kinds == [EventKind.DISCONNECTED, EventKind.RESUMED]
    assert "same bar" in session.events[-1].detail
    positions = [c.livemusic_position for c in chunks]
    assert positions == [sum(len(c.data) // 4 for c in chunks[:i]) for i in range(len(chunks))]
    old, new = chunks[before - 1].source_metadata, chunks[before].source_metadata
    assert new.client_content == old.client_content and new.music_generation_config == old.music_generation_config
