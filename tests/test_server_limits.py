"""The server's limits and security: every refusal is a close code and a reason, and others play on."""

import asyncio
import json
import os
import signal
import subprocess
import sys

import pytest
import websockets

from livemusic import AsyncLiveMusic
from livemusic.errors import AuthenticationError, InvalidInputError, PolicyViolationError, ServerError
from livemusic.server import MusicServer
from livemusic.server.limits import Limits, TrustedProxies
from livemusic.server.session import MusicSession
from serving import serve_process
from wire import PATH, closed_with, opened

PROMPTS = '{"clientContent": {"weightedPrompts": [%s]}}'
TOKEN = "s3cret-token-for-tests"


def prompts_frame(count: int, text: str = "dub") -> str:
    return PROMPTS % ",".join(json.dumps({"text": text, "weight": 1}) for _ in range(count))


@pytest.fixture
async def limited(request):
    """A server with the limits given by the test's ``limits`` marker-free parameter."""
    async with MusicServer("127.0.0.1", 0, limits=request.param) as running:
        yield running


def limits(**changes) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("limited", [Limits(**changes)], indirect=True, ids=[""])


async def audio_keeps_flowing(session, seconds: float = 0.5) -> None:
    before = session.generated_position
    async for _ in session.receive():
        if session.generated_position > before + seconds:
            return


@limits(max_message_bytes=4096)
async def test_a_frame_over_the_size_limit_closes_with_1009(limited):
    ws = await opened(limited.url)
    await ws.send(prompts_frame(1, "x" * 5000))
    code, reason = await closed_with(ws)
    assert code == 1009 and reason


@limits(max_prompts=4)
async def test_too_many_prompts_in_a_message_close_with_1008_naming_the_field(limited):
    ws = await opened(limited.url)
    await ws.send(prompts_frame(5))
    assert await closed_with(ws) == (1008, "clientContent.weightedPrompts: at most 4 prompts per message, got 5")


@limits(max_prompt_chars=20)
async def test_a_prompt_over_the_length_limit_closes_with_1008_naming_the_field(limited):
    ws = await opened(limited.url)
    await ws.send(prompts_frame(1, "y" * 21))
    code, reason = await closed_with(ws)
    assert code == 1008 and reason.startswith("clientContent.weightedPrompts.0.text: at most 20 characters")


@limits(messages_per_second=10, message_burst=20)
async def test_a_flood_of_messages_closes_with_1008_while_another_session_plays(limited):
    async with AsyncLiveMusic(url=limited.url).connect() as bystander:
        await bystander.set_weighted_prompts({"ambient": 1.0})
        await bystander.play()
        ws = await opened(limited.url)
        for _ in range(40):
            await ws.send('{"playbackControl": "PAUSE"}')
        assert await closed_with(ws) == (1008, "too many messages: at most 10 per second")
        await audio_keeps_flowing(bystander)


@limits(messages_per_second=10, message_burst=20)
async def test_a_timeline_sent_ahead_is_not_held_to_the_rate(limited):
    async with AsyncLiveMusic(url=limited.url).connect(pacing="asap") as session:
        for step in range(200):  # a render's fade: 25 s at 8 updates a second, all sent at once
            await session.set_weighted_prompts({"dub": 1.0, "ambient": 0.01 + step / 200}, at=step / 8)
        await session.play()
        await audio_keeps_flowing(session)


@limits(max_scheduled=50)
async def test_too_many_timed_messages_waiting_close_with_1008(limited):
    async with AsyncLiveMusic(url=limited.url).connect() as session:
        with pytest.raises(PolicyViolationError, match="too many timed messages: at most 50 waiting"):
            for step in range(60):
                await session.update_config(density=0.5, at=step + 1.0)
            async for _ in session.receive():
                pass


@limits(messages_per_second=40, message_burst=20)
async def test_messages_within_the_rate_keep_the_session_open(limited):
    ws = await opened(limited.url)
    for _ in range(30):  # past the burst, at 10% under the rate
        await ws.send('{"playbackControl": "PAUSE"}')
        await asyncio.sleep(0.0275)
    await ws.send(prompts_frame(1))
    await ws.send('{"playbackControl": "PLAY"}')
    assert "serverContent" in json.loads(await ws.recv())
    await ws.close()


@limits(max_sessions=2)
async def test_a_session_beyond_the_server_limit_is_refused_with_1013(limited):
    first, second = await opened(limited.url), await opened(limited.url)
    third = await websockets.connect(limited.url + PATH)
    assert await closed_with(third) == (1013, "server full: 2 sessions")
    await first.close()
    await (await opened(limited.url)).close()  # a place is free again
    await second.close()


@limits(max_sessions_per_address=1)
async def test_a_second_session_from_one_address_is_refused_with_1013(limited):
    first = await opened(limited.url)
    second = await websockets.connect(limited.url + PATH)
    code, reason = await closed_with(second)
    assert code == 1013 and "too many sessions from your address" in reason
    await first.close()


def forwarded_for(address: str) -> dict:
    return {"additional_headers": {"X-Forwarded-For": f"{address}, 127.0.0.1"}}


async def test_behind_a_trusted_proxy_the_address_limit_counts_each_forwarded_client():
    proxied = MusicServer("127.0.0.1", 0, limits=Limits(max_sessions_per_address=1),
                          trusted_proxies=TrustedProxies(["127.0.0.0/8"]))
    async with proxied:
        first = await opened(proxied.url, **forwarded_for("203.0.113.7"))
        other = await opened(proxied.url, **forwarded_for("198.51.100.2"))  # another client, same proxy
        same = await websockets.connect(proxied.url + PATH, **forwarded_for("203.0.113.7"))
        code, reason = await closed_with(same)
        assert code == 1013 and "too many sessions from your address" in reason
        await first.close()
        await other.close()


@limits(max_sessions_per_address=1)
async def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(limited):
    first = await opened(limited.url, **forwarded_for("203.0.113.7"))
    second = await websockets.connect(limited.url + PATH, **forwarded_for("198.51.100.2"))
    code, reason = await closed_with(second)
    assert code == 1013 and "too many sessions from your address" in reason
    await first.close()


def test_a_bad_forwarded_allow_ips_entry_is_named():
    with pytest.raises(InvalidInputError, match="forwarded-allow-ips: .*not-an-ip"):
        TrustedProxies(["127.0.0.1", "not-an-ip"])


@limits(setup_timeout_s=0.3)
async def test_no_setup_within_the_setup_timeout_closes_with_1008(limited):
    ws = await websockets.connect(limited.url + PATH)
    assert await closed_with(ws) == (1008, "setup expected within 0.3 s")


@limits(idle_timeout_s=0.5)
async def test_an_idle_session_is_closed_with_1001(limited):
    ws = await opened(limited.url)
    code, reason = await closed_with(ws)
    assert code == 1001 and reason.startswith("idle for 0.5 s")


@limits(idle_timeout_s=0.5)
async def test_a_playing_session_is_not_idle(limited):
    async with AsyncLiveMusic(url=limited.url).connect() as session:
        await session.set_weighted_prompts({"house": 1.0})
        await session.play()
        await audio_keeps_flowing(session, seconds=2.0)


async def test_a_crash_closes_with_1011_and_no_details(server, monkeypatch):
    def broken(self, sizes):
        raise RuntimeError("secret detail in /srv/livemusic/internal.py")

    monkeypatch.setattr(MusicSession, "render", broken)
    ws = await opened(server.url)
    await ws.send(prompts_frame(1))
    await ws.send('{"playbackControl": "PLAY"}')
    assert await closed_with(ws) == (1011, "Internal error encountered.")


@pytest.fixture
async def guarded():
    async with MusicServer("127.0.0.1", 0, token=TOKEN) as running:
        yield running


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"x-goog-api-key": TOKEN[:-1]}],
                         ids=["none", "wrong bearer", "wrong key"])
async def test_a_missing_or_wrong_token_closes_with_1008(guarded, headers):
    ws = await websockets.connect(guarded.url + PATH, additional_headers=headers)
    assert await closed_with(ws) == (1008, "unauthenticated: missing or invalid token")


async def test_the_token_as_a_bearer_header_opens_the_session(guarded):
    ws = await opened(guarded.url, additional_headers={"Authorization": f"Bearer {TOKEN}"})
    await ws.close()


async def test_the_token_as_the_api_key_plays(guarded):
    async with AsyncLiveMusic(url=guarded.url, api_key=TOKEN).connect() as session:
        await session.set_weighted_prompts({"techno": 1.0})
        await session.play()
        await audio_keeps_flowing(session)


async def test_a_wrong_token_raises_an_authentication_error_from_connect(guarded):
    with pytest.raises(AuthenticationError):
        async with AsyncLiveMusic(url=guarded.url, api_key="nope").connect():
            pass


def test_serving_beyond_loopback_without_a_token_is_refused():
    with pytest.raises(InvalidInputError, match="--token"):
        MusicServer("0.0.0.0", 0)


def test_livemusic_serve_beyond_loopback_without_a_token_exits_2():
    env = {k: v for k, v in os.environ.items() if k != "LIVEMUSIC_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "livemusic.cli", "serve", "--host", "0.0.0.0", "--port", "0"],
                            capture_output=True, text=True, timeout=30, env=env, stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert "LIVEMUSIC_TOKEN" in result.stderr and "Traceback" not in result.stderr


async def test_sigterm_closes_sessions_with_1001_and_exits_0():
    with serve_process() as served:
        async with AsyncLiveMusic(url=served.url).connect() as session:
            session.reconnect = False  # else it retries this server, gone for good, for its reconnect_timeout (60 s)
            await session.set_weighted_prompts({"trance": 1.0})
            await session.play()
            await audio_keeps_flowing(session, 0.2)
            served.process.send_signal(signal.SIGTERM)
            with pytest.raises(ServerError) as info:
                async for _ in session.receive():
                    pass
        assert info.value.code == 1001 and "resume on another server" in info.value.reason
        assert await asyncio.to_thread(served.process.wait, 10) == 0
