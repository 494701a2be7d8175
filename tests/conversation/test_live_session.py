"""AsyncLive against a scripted peer on 127.0.0.1: setup, errors, turns, tools, resumption."""

from __future__ import annotations

import asyncio
import base64
import logging

import numpy as np
import pytest

from livemusic import AsyncLive
from livemusic.errors import (
    AuthenticationError,
    ConnectionClosedError,
    InvalidArgumentError,
    InvalidInputError,
    PolicyViolationError,
    ServerError,
)

MODEL = "gemini-live-2.5-flash-preview"


def audio_turn(pcm: bytes) -> dict:
    return {"serverContent": {"modelTurn": {"role": "model", "parts": [
        {"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": base64.b64encode(pcm).decode()}}]}}}


async def collect(session, until) -> list:
    """Messages from receive() until ``until(message)`` holds (that message included)."""
    got = []
    async for message in session.receive():
        got.append(message)
        if until(message):
            break
    return got


@pytest.mark.parametrize(("code", "reason", "kind"), [
    (1007, "Request contains an invalid argument.", InvalidArgumentError),
    (1008, "models/bogus is not found for API version v1beta", PolicyViolationError),
    (1008, "Your API key was reported as leaked", AuthenticationError),
    (1011, "Internal error encountered", ServerError),
])
async def test_setup_refused_by_a_close_raises_the_typed_error_with_its_reason(peer, code, reason, kind):
    async def script(connection):
        await connection.recv()
        await connection.ws.close(code, reason)

    async with peer(script) as running:
        with pytest.raises(kind) as info:
            await AsyncLive(url=running.url).connect(model=MODEL)
    assert (info.value.code, info.value.reason) == (code, reason)


async def test_close_mid_session_raises_the_typed_error(peer):
    async def script(connection):
        await connection.accept_setup()
        await connection.ws.close(1007, "Request contains an invalid argument.")

    async with peer(script) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL, resume=False) as session:
            with pytest.raises(InvalidArgumentError, match="invalid argument"):
                await collect(session, lambda m: False)


async def test_normal_close_ends_receive_without_error(peer):
    async def script(connection):
        await connection.accept_setup()
        await connection.send({"serverContent": {"turnComplete": True}})
        await connection.ws.close(1000)

    async with peer(script) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL) as session:
            messages = await collect(session, lambda m: False)
    assert [m.server_content.turn_complete for m in messages] == [True]


async def test_connect_is_awaitable_and_close_is_clean(peer):
    async def script(connection):
        await connection.accept_setup(sessionId="s-1")
        await connection.drain()

    async with peer(script) as running:
        session = await AsyncLive(url=running.url).connect(model=MODEL)
        assert session.session_id == "s-1"
        await session.close()
        await asyncio.wait_for(running.connections[0].ws.wait_closed(), 5)
    assert running.connections[0].ws.close_code == 1000


async def test_receive_goes_on_across_turns_and_types_every_message(peer):
    async def script(connection):
        await connection.accept_setup()
        for turn in range(2):
            await connection.send({"serverContent": {"inputTranscription": {"text": f"play {turn}"}}})
            await connection.send({"serverContent": {"modelTurn": {"parts": [{"text": f"ok {turn}"}]}}})
            await connection.send({"serverContent": {"outputTranscription": {"text": f"ok {turn}", "finished": True}}})
            await connection.send({"serverContent": {"generationComplete": True}})
            await connection.send({"serverContent": {"turnComplete": True}, "usageMetadata": {
                "promptTokenCount": 10, "responseTokenCount": 4, "totalTokenCount": 14,
                "responseTokensDetails": [{"modality": "AUDIO", "tokenCount": 4}]}})
        await connection.ws.close(1000)

    async with peer(script) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL) as session:
            messages = await collect(session, lambda m: False)
    assert [m.text for m in messages if m.text] == ["ok 0", "ok 1"]
    assert [m.server_content.input_transcription.text for m in messages
            if m.server_content.input_transcription] == ["play 0", "play 1"]
    assert messages[2].server_content.output_transcription.finished is True
    usage = [m.usage_metadata for m in messages if m.usage_metadata]
    assert [u.total_token_count for u in usage] == [14, 14]
    assert usage[0].response_tokens_details[0].token_count == 4


async def test_unknown_server_fields_and_messages_are_ignored(peer):
    async def script(connection):
        await connection.accept_setup()
        await connection.send({"somethingNew": {"x": 1}})
        await connection.send({"serverContent": {"turnComplete": True, "newField": 2}})
        await connection.ws.close(1000)

    async with peer(script) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL) as session:
            messages = await collect(session, lambda m: False)
    assert messages[-1].server_content.turn_complete is True


async def test_interrupted_turn_is_reported(peer):
    async def script(connection):
        await connection.accept_setup()
        await connection.send(audio_turn(b"\x01\x00" * 240))
        await connection.send({"serverContent": {"interrupted": True}})
        await connection.send({"serverContent": {"turnComplete": True}})
        await connection.ws.close(1000)

    async with peer(script) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL) as session:
            messages = await collect(session, lambda m: False)
    assert messages[0].data == b"\x01\x00" * 240
    assert messages[1].server_content.interrupted is True


async def test_realtime_audio_from_numpy_carries_its_rate(peer):
    async with peer(peer.accept_and_drain) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL) as session:
            await session.send_realtime_input(audio=np.array([0.5, -1.0, 2.0], dtype=np.float32), rate=48_000)
            await session.send_realtime_input(audio=np.array([[100, 300], [-5, -7]], dtype=np.int16))
        await asyncio.wait_for(running.connections[0].ws.wait_closed(), 5)
    first, second = (f["realtimeInput"]["audio"] for f in running.connections[0].frames[1:])
    assert first["mimeType"] == "audio/pcm;rate=48000"
    assert np.frombuffer(base64.b64decode(first["data"]), "<i2").tolist() == [16384, -32767, 32767]
    assert second["mimeType"] == "audio/pcm;rate=16000"
    assert np.frombuffer(base64.b64decode(second["data"]), "<i2").tolist() == [200, -6]


async def test_video_frames_from_a_file_and_from_numpy(peer, tmp_path):
    jpeg = tmp_path / "frame.jpg"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0fakejpeg")

    async with peer(peer.accept_and_drain) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL) as session:
            await session.send_realtime_input(video=jpeg)
            await session.send_realtime_input(video=np.zeros((4, 6, 3), dtype=np.uint8))
        await asyncio.wait_for(running.connections[0].ws.wait_closed(), 5)
    from_file, from_array = (f["realtimeInput"]["video"] for f in running.connections[0].frames[1:])
    assert from_file == {"data": base64.b64encode(jpeg.read_bytes()).decode(), "mimeType": "image/jpeg"}
    assert from_array["mimeType"] == "image/png"
    assert base64.b64decode(from_array["data"]).startswith(b"\x89PNG\r\n\x1a\n")


async def test_more_than_one_realtime_input_per_call_is_refused(peer):
    async with peer(peer.accept_and_drain) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL) as session:
            with pytest.raises(InvalidInputError, match="exactly one input"):
                await session.send_realtime_input(text="a", audio_stream_end=True)


async def test_api_key_travels_in_the_header_only_and_never_in_reprs_or_logs(peer, caplog):
    secret = "AIza-secret-for-test"

    caplog.set_level(logging.DEBUG)
    async with peer(peer.accept_and_drain) as running:
        live = AsyncLive(api_key=secret, url=running.url)
        async with live.connect(model=MODEL) as session:
            shown = repr(live) + repr(session) + repr(live.endpoint())
    headers = running.connections[0].headers
    assert headers["x-goog-api-key"] == secret
    assert secret not in running.connections[0].ws.request.path
    assert secret not in shown
    client_logs = [r.getMessage() for r in caplog.records if not r.name.startswith("websockets.server")]
    assert client_logs and not any(secret in line for line in client_logs)


# --------------------------------------------------------------------------- tools


async def test_python_tools_are_called_and_answered_automatically(peer):
    calls = []

    def set_bpm(bpm: int) -> dict:
        """Set the tempo."""
        calls.append(bpm)
        return {"bpm": bpm}

    async def mute(part: str) -> str:
        """Mute a part."""
        return f"{part} muted"

    async def script(connection):
        setup = await connection.accept_setup()
        connection.declared = [d["name"] for d in setup["tools"][0]["functionDeclarations"]]
        await connection.send({"toolCall": {"functionCalls": [
            {"id": "c1", "name": "set_bpm", "args": {"bpm": 90}},
            {"id": "c2", "name": "mute", "args": {"part": "drums"}}]}})
        answers = [await connection.recv(), await connection.recv()]
        connection.answers = sorted((r for a in answers for r in a["toolResponse"]["functionResponses"]),
                                    key=lambda r: r["id"])
        await connection.ws.close(1000)

    async with peer(script) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL, config={"tools": [set_bpm, mute]}) as session:
            messages = await collect(session, lambda m: False)
    connection = running.connections[0]
    assert connection.declared == ["set_bpm", "mute"]
    assert calls == [90]
    assert connection.answers == [{"id": "c1", "name": "set_bpm", "response": {"result": {"bpm": 90}}},
                                  {"id": "c2", "name": "mute", "response": {"result": "drums muted"}}]
    assert messages[0].tool_call.function_calls[0].name == "set_bpm"


async def test_a_failing_tool_answers_with_the_error(peer):
    def fade(seconds: float) -> None:
        """Fade out."""
        raise ValueError("seconds must be positive")

    async def script(connection):
        await connection.accept_setup()
        await connection.send({"toolCall": {"functionCalls": [{"id": "c1", "name": "fade", "args": {"seconds": -1}}]}})
        connection.answer = await connection.recv()
        await connection.ws.close(1000)

    async with peer(script) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL, config={"tools": [fade]}) as session:
            await collect(session, lambda m: False)
    [response] = running.connections[0].answer["toolResponse"]["functionResponses"]
    assert response["response"] == {"error": "ValueError: seconds must be positive"}


async def test_cancelled_tool_call_is_never_answered(peer):
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def slow(n: int) -> int:
        """Take a while."""
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return n

    async def quick(n: int) -> int:
        """Answer at once."""
        return n

    async def script(connection):  # runs on the test's event loop, so it can wait for the tool to start
        await connection.accept_setup()
        await connection.send({"toolCall": {"functionCalls": [{"id": "slow", "name": "slow", "args": {"n": 1}}]}})
        await started.wait()
        await connection.send({"toolCallCancellation": {"ids": ["slow"]}})
        await connection.send({"toolCall": {"functionCalls": [{"id": "quick", "name": "quick", "args": {"n": 2}}]}})
        connection.answer = await connection.recv()
        await connection.ws.close(1000)

    async with peer(script) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL, config={"tools": [slow, quick]}) as session:
            messages = await collect(session, lambda m: False)
    assert cancelled.is_set()
    assert [r["id"] for r in running.connections[0].answer["toolResponse"]["functionResponses"]] == ["quick"]
    assert session.tools.cancelled == ["slow"]
    assert messages[1].tool_call_cancellation.ids == ["slow"]


async def test_tool_calls_for_unregistered_functions_are_left_to_the_caller(peer):
    async def script(connection):
        await connection.accept_setup()
        await connection.send({"toolCall": {"functionCalls": [{"id": "x", "name": "lights", "args": {}}]}})
        connection.answer = await connection.recv()
        await connection.ws.close(1000)

    config = {"tools": [{"function_declarations": [{"name": "lights", "description": "Lights on."}]}]}
    async with peer(script) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL, config=config) as session:
            async for message in session.receive():
                if message.tool_call:
                    call = message.tool_call.function_calls[0]
                    await session.send_tool_response(function_responses={"id": call.id, "name": call.name,
                                                                          "response": {"result": "on"}})
    assert running.connections[0].answer == {"toolResponse": {"functionResponses": [
        {"id": "x", "name": "lights", "response": {"result": "on"}}]}}


# --------------------------------------------------------------------------- resumption


async def test_go_away_mid_turn_resumes_after_the_turn_with_the_handle_sent_after_turn_complete(peer):
    async def first(connection):
        setup = await connection.accept_setup()
        connection.setup = setup
        await connection.send({"sessionResumptionUpdate": {"newHandle": "h-old", "resumable": True}})
        await connection.recv()  # the user's turn
        await connection.send({"serverContent": {"modelTurn": {"parts": [{"text": "one "}]}}})
        await connection.send({"sessionResumptionUpdate": {"resumable": False}})
        await connection.send({"goAway": {"timeLeft": "5s"}})
        await connection.send({"serverContent": {"modelTurn": {"parts": [{"text": "two"}]}}})
        await connection.send({"serverContent": {"turnComplete": True}})
        await connection.send({"sessionResumptionUpdate": {"newHandle": "h-after-turn", "resumable": True}})
        await connection.drain()

    async def second(connection):
        connection.setup = await connection.accept_setup()
        await connection.recv()  # the next user turn arrives here
        await connection.send({"serverContent": {"modelTurn": {"parts": [{"text": "three"}]}}})
        await connection.send({"serverContent": {"turnComplete": True}})
        await connection.ws.close(1000)

    async with peer(first, second) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL) as session:
            await session.send_client_content(turns="count")
            texts, resumed = [], []
            async for message in session.receive():
                if message.resumed:
                    resumed.append(message.resumed)
                    await session.send_client_content(turns="more")
                if message.text:
                    texts.append(message.text)
    assert texts == ["one ", "two", "three"]
    assert [(r.handle, r.reason) for r in resumed] == [("h-after-turn", "goAway")]
    assert running.connections[0].setup["sessionResumption"] == {}
    assert running.connections[1].setup["sessionResumption"] == {"handle": "h-after-turn"}
    assert session.resumptions == 1


async def test_dropped_connection_resumes_with_the_latest_handle(peer):
    async def first(connection):
        await connection.accept_setup()
        await connection.send({"sessionResumptionUpdate": {"newHandle": "h1", "resumable": True}})
        await connection.send({"serverContent": {"turnComplete": True}})
        await connection.ws.close(1011, "The service is currently unavailable")

    async def second(connection):
        connection.setup = await connection.accept_setup()
        await connection.send({"serverContent": {"modelTurn": {"parts": [{"text": "back"}]}}})
        await connection.ws.close(1000)

    async with peer(first, second) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL) as session:
            messages = await collect(session, lambda m: False)
    assert messages[2].resumed.handle == "h1" and "1011" in messages[2].resumed.reason
    assert messages[3].text == "back"
    assert running.connections[1].setup["sessionResumption"] == {"handle": "h1"}


async def test_a_fatal_close_is_not_resumed(peer):
    async def first(connection):
        await connection.accept_setup()
        await connection.send({"sessionResumptionUpdate": {"newHandle": "h1", "resumable": True}})
        await connection.ws.close(1008, "Your API key was reported as leaked")

    async with peer(first) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL) as session:
            with pytest.raises(AuthenticationError):
                await collect(session, lambda m: False)
    assert len(running.connections) == 1


async def test_without_a_handle_a_dropped_connection_raises(peer):
    async def first(connection):
        await connection.accept_setup()
        await connection.ws.close(1011, "Internal error encountered")

    async with peer(first) as running:
        async with AsyncLive(url=running.url).connect(model=MODEL) as session:
            with pytest.raises(ServerError, match="Internal error"):
                await collect(session, lambda m: False)


async def test_send_after_close_is_refused(peer):
    async with peer(peer.accept_and_drain) as running:
        session = await AsyncLive(url=running.url).connect(model=MODEL)
        await session.close()
        with pytest.raises(ConnectionClosedError):
            await session.send_realtime_input(text="late")
