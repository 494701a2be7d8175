"""Bad input to the server: that connection closes with 1007/1008 and a reason; others play on."""

import asyncio
import json

import pytest
import websockets
from websockets.asyncio.client import connect

from livemusic import AsyncLiveMusic
from livemusic.errors import InvalidArgumentError, PolicyViolationError
from wire import PATH, SETUP, closed_with


# (frames sent after a valid setup, expected close code, text the reason must contain)
BAD_MESSAGES = {
    "not json": (["{oops"], 1007, "invalid JSON"),
    "not an object": (["[1, 2]"], 1007, "JSON object"),
    "bpm too high": (['{"musicGenerationConfig": {"bpm": 300}}'], 1007, "bpm: must be between 60 and 200"),
    "temperature negative": (['{"musicGenerationConfig": {"temperature": -1}}'], 1007,
                             "temperature: must be between 0.0 and 3.0"),
    "top_k zero": (['{"musicGenerationConfig": {"topK": 0}}'], 1007, "topK: must be between 1 and 1000"),
    "guidance too high": (['{"musicGenerationConfig": {"guidance": 7}}'], 1007, "guidance: must be between 0.0 and 6.0"),
    "density too high": (['{"musicGenerationConfig": {"density": 1.5}}'], 1007, "density: must be between 0.0 and 1.0"),
    "brightness wrong type": (['{"musicGenerationConfig": {"brightness": "high"}}'], 1007, "brightness"),
    "unknown scale": (['{"musicGenerationConfig": {"scale": "H_MAJOR"}}'], 1007, "scale: must be one of"),
    "unknown config field": (['{"musicGenerationConfig": {"tempo": 120}}'], 1007, "tempo: unknown field"),
    "zero weight": (['{"clientContent": {"weightedPrompts": [{"text": "a", "weight": 0}]}}'], 1007,
                    "weight: must not be 0"),
    "no prompts": (['{"clientContent": {"weightedPrompts": []}}'], 1007, "at least one prompt"),
    "unknown control": (['{"playbackControl": "REWIND"}'], 1007, "playbackControl: must be one of"),
    "two payloads": (['{"playbackControl": "PLAY", "clientContent": {"weightedPrompts": []}}'], 1007, ""),
    "unknown message": (['{"realtimeInput": {}}'], 1007, "realtimeInput: unknown field"),
    "setup twice": ([SETUP], 1008, "setup may only be sent once"),
    "unnegotiated extension": (['{"playbackControl": "PLAY", "livemusicAt": 10}'], 1007, "livemusicAt"),
}


@pytest.mark.parametrize("case", sorted(BAD_MESSAGES))
async def test_bad_message_closes_only_that_connection(server, case):
    frames, code, reason = BAD_MESSAGES[case]
    async with AsyncLiveMusic(url=server.url).connect() as bystander:
        await bystander.set_weighted_prompts({"ambient": 1.0})
        await bystander.play()
        async with connect(server.url + PATH) as ws:
            await ws.send(SETUP)
            assert "setupComplete" in json.loads(await ws.recv())
            for frame in frames:
                await ws.send(frame)
            got_code, got_reason = await closed_with(ws)
        assert got_code == code
        assert reason in got_reason
        # the other session keeps streaming
        before = bystander.generated_position
        async for message in bystander.receive():
            if bystander.generated_position > before + 0.5:
                break


async def test_message_before_setup_is_refused_with_1008(server):
    async with connect(server.url + PATH) as ws:
        await ws.send('{"playbackControl": "PLAY"}')
        assert await closed_with(ws) == (1008, "the first message must be setup")


async def test_unknown_model_is_refused_with_1008(server):
    async with connect(server.url + PATH) as ws:
        await ws.send('{"setup": {"model": "models/bogus"}}')
        code, reason = await closed_with(ws)
    assert code == 1008 and "models/bogus is not found" in reason


async def test_unknown_model_raises_a_typed_error_from_connect(server):
    with pytest.raises(PolicyViolationError) as info:
        async with AsyncLiveMusic(url=server.url).connect(model="models/bogus"):
            pass
    assert info.value.code == 1008


async def test_server_rejection_reaches_receive_as_a_typed_error(server):
    async with AsyncLiveMusic(url=server.url).connect() as session:
        await session._conn._ws.send('{"musicGenerationConfig": {"bpm": 999}}')
        with pytest.raises(InvalidArgumentError) as info:
            async for _ in session.receive():
                pass
    assert info.value.code == 1007 and "bpm" in info.value.reason


async def test_unknown_path_is_refused_at_the_handshake(server):
    with pytest.raises(websockets.InvalidStatus) as info:
        async with connect(server.url + "/ws/elsewhere"):
            pass
    assert info.value.response.status_code == 404


@pytest.mark.parametrize("path", [PATH, "/" + PATH, PATH.replace("v1alpha", "v1beta"), "/"])
async def test_documented_paths_are_served(server, path):
    async with connect(server.url + path) as ws:
        await ws.send(SETUP)
        assert json.loads(await ws.recv()) == {"setupComplete": {}}


async def test_snake_case_keys_are_accepted(server):
    async with connect(server.url + PATH) as ws:
        await ws.send(SETUP)
        await ws.recv()
        await ws.send('{"client_content": {"weighted_prompts": [{"text": "dub", "weight": 1}]}}')
        await ws.send('{"music_generation_config": {"top_k": 10, "mute_bass": true}}')
        await ws.send('{"playback_control": "PLAY"}')
        message = json.loads(await ws.recv())
    chunk = message["serverContent"]["audioChunks"][0]
    assert chunk["sourceMetadata"]["musicGenerationConfig"]["muteBass"] is True
