"""For every client message, livemusic sends what Google's SDK sends for the same inputs.

Both clients talk to one TLS server on 127.0.0.1 (the SDK dials wss only);
the frames are compared after normalizing what the service treats alike:
key case (the SDK mixes snake_case and camelCase) and the base64 alphabet
(the SDK sends URL-safe base64).
"""

from __future__ import annotations

import base64
import ssl
import warnings

import pytest
from google import genai
from google.genai import types as T
from pydantic.alias_generators import to_camel

from livemusic import AsyncLive

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

#: Keys below which names belong to the user (function arguments, schema properties).
USER_KEYS = {"args", "response", "properties", "parametersJsonSchema", "responseJsonSchema"}


def normalized(value, key=None):
    if isinstance(value, dict):
        if key in USER_KEYS:
            return {k: normalized(v, k) for k, v in value.items()}
        return {to_camel(k): normalized(v, to_camel(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(item) for item in value]
    if key in ("data", "thoughtSignature") and isinstance(value, str):
        return base64.b64decode(value.replace("-", "+").replace("_", "/"))
    return value


def light(x: int, room: str = "kitchen") -> dict:
    """Turn on the light."""
    return {}


async def dim(level: float, rooms: list[str] | None = None) -> None:
    """Dim the lights."""


CONFIG = T.LiveConnectConfig(
    response_modalities=["AUDIO"],
    speech_config=T.SpeechConfig(voice_config=T.VoiceConfig(prebuilt_voice_config=T.PrebuiltVoiceConfig(
        voice_name="Kore")), language_code="en-US"),
    system_instruction="be brief", temperature=0.7, top_p=0.9, top_k=40, max_output_tokens=100, seed=3,
    media_resolution="MEDIA_RESOLUTION_LOW", enable_affective_dialog=True,
    thinking_config=T.ThinkingConfig(thinking_budget=0, include_thoughts=False),
    tools=[T.Tool(google_search=T.GoogleSearch()), T.Tool(code_execution=T.ToolCodeExecution()),
           T.Tool(function_declarations=[T.FunctionDeclaration(
               name="g", description="G", parameters=T.Schema(
                   type="OBJECT", properties={"a_b": T.Schema(type="NUMBER", any_of=None)}, required=["a_b"]))])],
    realtime_input_config=T.RealtimeInputConfig(
        automatic_activity_detection=T.AutomaticActivityDetection(
            disabled=False, start_of_speech_sensitivity="START_SENSITIVITY_LOW",
            end_of_speech_sensitivity="END_SENSITIVITY_HIGH", prefix_padding_ms=20, silence_duration_ms=500),
        activity_handling="NO_INTERRUPTION", turn_coverage="TURN_INCLUDES_ALL_INPUT"),
    session_resumption=T.SessionResumptionConfig(handle="h1"),
    context_window_compression=T.ContextWindowCompressionConfig(
        trigger_tokens=25000, sliding_window=T.SlidingWindow(target_tokens=8000)),
    input_audio_transcription=T.AudioTranscriptionConfig(), output_audio_transcription=T.AudioTranscriptionConfig(),
    proactivity=T.ProactivityConfig(proactive_audio=True),
    history_config=T.HistoryConfig(initial_history_in_client_content=True),
)

#: (what is sent, the same for both clients): setups, then one call per client message.
SETUPS = {
    "full_config": CONFIG,
    "dict_config_with_a_python_function": {"tools": [light], "response_modalities": ["TEXT"],
                                           "system_instruction": {"parts": [{"text": "sys"}]},
                                           "speech_config": {"voice_config": {"prebuilt_voice_config": {"voice_name": "Puck"}}}},
    "functions_around_a_builtin_tool": {"tools": [light, T.Tool(google_search=T.GoogleSearch()), dim]},
    "no_config": None,
}

SENDS = {
    "turns_without_turn_complete": ("send_client_content", {"turns": [T.Content(role="user", parts=[
        T.Part(text="hi"), T.Part(inline_data=T.Blob(data=b"\xff\xfe\x00", mime_type="image/jpeg"))])],
        "turn_complete": False}),
    "dict_turn": ("send_client_content", {"turns": {"role": "user", "parts": [{"text": "hello"}]}}),
    "turn_complete_only": ("send_client_content", {}),
    "audio_blob": ("send_realtime_input", {"audio": T.Blob(data=b"\xff\xfe\xfd\x00", mime_type="audio/pcm;rate=16000")}),
    "video_blob": ("send_realtime_input", {"video": T.Blob(data=b"\xff\xd8\xff\x00", mime_type="image/jpeg")}),
    "text": ("send_realtime_input", {"text": "what is playing?"}),
    "activity_start": ("send_realtime_input", {"activity_start": T.ActivityStart()}),
    "activity_end": ("send_realtime_input", {"activity_end": T.ActivityEnd()}),
    "audio_stream_end": ("send_realtime_input", {"audio_stream_end": True}),
    "tool_response_list": ("send_tool_response", {"function_responses": [
        T.FunctionResponse(id="1", name="g", response={"result": {"some_key": 1}})]}),
    "tool_response_single_with_scheduling": ("send_tool_response", {"function_responses": T.FunctionResponse(
        id="2", name="g", response={"error": "x"}, will_continue=True, scheduling="INTERRUPT")}),
    "tool_response_dict": ("send_tool_response", {"function_responses": {"id": "3", "name": "g",
                                                                          "response": {"output": [1, 2]}}}),
}


@pytest.fixture
async def tls_peer(certificate, peer):
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    async with peer(peer.accept_and_drain, ssl_context=context) as running:
        yield running


async def sdk_frames(tls_peer, config, calls) -> list[dict]:
    client = genai.Client(api_key="test", http_options={"base_url": f"https://127.0.0.1:{tls_peer.port}",
                                                       "api_version": "v1beta"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        async with client.aio.live.connect(model="gemini-live-2.5-flash-preview", config=config) as session:
            for method, kwargs in calls:
                await getattr(session, method)(**kwargs)
    return await frames_of_last(tls_peer)


async def our_frames(tls_peer, config, calls) -> list[dict]:
    live = AsyncLive(api_key="test", url=tls_peer.url)
    async with live.connect(model="gemini-live-2.5-flash-preview", config=config, resume=False) as session:
        for method, kwargs in calls:
            await getattr(session, method)(**kwargs)
    return await frames_of_last(tls_peer)


async def frames_of_last(tls_peer) -> list[dict]:
    import asyncio
    connection = tls_peer.connections[-1]
    await asyncio.wait_for(connection.ws.wait_closed(), 5)
    return connection.frames


@pytest.mark.parametrize("name", SETUPS)
async def test_setup_frame_equals_the_sdks(tls_peer, name):
    ours = await our_frames(tls_peer, SETUPS[name], [])
    theirs = await sdk_frames(tls_peer, SETUPS[name], [])
    assert normalized(ours) == normalized(theirs)


@pytest.mark.parametrize("name", SENDS)
async def test_client_message_equals_the_sdks(tls_peer, name):
    ours = await our_frames(tls_peer, None, [SENDS[name]])
    theirs = await sdk_frames(tls_peer, None, [SENDS[name]])
    assert len(ours) == 2
    assert normalized(ours) == normalized(theirs)
