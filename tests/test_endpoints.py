"""Endpoint building: paths per version, the key only in a header, never shown."""

import logging

import pytest

from livemusic import AsyncLiveMusic
from livemusic.errors import InvalidInputError
from livemusic.live import api_key_from_env, embedded_endpoint, google_endpoint, url_endpoint

KEY = "AIzaSy-secret-test-key"
PATH = "/ws/google.ai.generativelanguage.{}.GenerativeService.BidiGenerateMusic"


@pytest.mark.parametrize("version", ["v1alpha", "v1beta"])
def test_google_endpoint_uses_the_documented_path(version):
    endpoint = google_endpoint("BidiGenerateMusic", KEY, version=version)
    assert endpoint.url == "wss://generativelanguage.googleapis.com" + PATH.format(version)


def test_api_key_travels_only_in_the_header():
    endpoint = google_endpoint("BidiGenerateMusic", KEY)
    assert KEY not in endpoint.url
    assert endpoint.headers["x-goog-api-key"] == KEY


def test_api_key_never_shows_in_repr_or_str():
    endpoint = google_endpoint("BidiGenerateMusic", KEY)
    assert KEY not in repr(endpoint) and KEY not in str(endpoint)
    assert KEY not in repr(endpoint.headers)
    assert KEY not in repr(AsyncLiveMusic(api_key=KEY))


def test_google_api_key_wins_over_gemini_api_key(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "gemini")
    monkeypatch.setenv("GOOGLE_API_KEY", "google")
    assert api_key_from_env() == "google"


def test_no_key_selects_the_embedded_engine(monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    assert AsyncLiveMusic().backend == "embedded"


def test_key_in_environment_selects_google(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    assert AsyncLiveMusic().backend == "gemini"
    assert AsyncLiveMusic(backend="embedded").backend == "embedded"


def test_url_selects_any_server():
    assert AsyncLiveMusic(url="ws://127.0.0.1:1").backend == "url"


def test_bare_server_url_gets_the_service_path():
    assert url_endpoint("ws://127.0.0.1:8765", "BidiGenerateMusic").url == \
        "ws://127.0.0.1:8765" + PATH.format("v1beta")


def test_key_in_url_is_refused():
    with pytest.raises(InvalidInputError, match="header"):
        url_endpoint("wss://example.invalid/ws?key=abc", "BidiGenerateMusic")


def test_non_websocket_url_is_refused():
    with pytest.raises(InvalidInputError, match="ws://"):
        url_endpoint("http://127.0.0.1:1", "BidiGenerateMusic")


def test_embedded_endpoint_is_loopback():
    assert embedded_endpoint(4321, "BidiGenerateMusic").url.startswith("ws://127.0.0.1:4321/ws/")


async def test_key_is_redacted_from_websocket_debug_logs(caplog, server):
    caplog.set_level(logging.DEBUG)
    async with AsyncLiveMusic(url=server.url, api_key=KEY).connect() as session:
        await session.play()
    assert "x-goog-api-key" in caplog.text.lower()  # the handshake was logged...
    assert KEY not in caplog.text  # ...without the key


def test_key_from_the_environment_never_goes_to_another_server(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    client = AsyncLiveMusic(url="ws://127.0.0.1:1")
    assert client._api_key is None


def test_explicit_key_goes_to_the_url_server_hidden_from_vars():
    client = AsyncLiveMusic(url="ws://127.0.0.1:1", api_key=KEY)
    assert KEY not in repr(vars(client))
