"""Shared fixtures: real servers on 127.0.0.1 with ephemeral ports, TLS certificates."""

from __future__ import annotations

import datetime
import importlib.util
import ipaddress
import os
import shutil
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from livemusic.engine.soundfont import SOUNDFONT_ENV, find_soundfont

#: The SoundFont the sample-tier tests play from (the developer's or the system's); every other
#: test hears the synthesized voices, whatever the machine has installed.
SOUNDFONT = find_soundfont()
os.environ[SOUNDFONT_ENV] = "none"



@pytest.fixture(autouse=True)
def no_api_keys(monkeypatch):
    """Tests never reach Google: a developer's key in the environment must not leak into them."""
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)


@pytest.fixture
def soundfont(monkeypatch) -> Path:
    """A General MIDI SoundFont the engine plays acoustic parts from (set for this test only).

    Without one (or without the soundfont extra) the test is skipped, except in CI, which installs both.
    """
    if SOUNDFONT is None or not SOUNDFONT.is_file():
        reason = "no General MIDI SoundFont (apt-get install timgm6mb-soundfont, or set LIVEMUSIC_SOUNDFONT)"
    elif importlib.util.find_spec("tinysoundfont") is None:
        reason = "the soundfont extra is not installed (pip install -e '.[soundfont]')"
    else:
        monkeypatch.setenv(SOUNDFONT_ENV, str(SOUNDFONT))
        return SOUNDFONT
    if os.environ.get("CI"):
        pytest.fail(f"CI tests the sample tier: {reason}")
    pytest.skip(reason)


#: mido's name for RtMidi's JACK API (what MIDO_BACKEND takes).
JACK = "mido.backends.rtmidi/UNIX_JACK"


@pytest.fixture
def jack(monkeypatch):
    """A running JACK server's MIDI, as a mido backend: real virtual MIDI ports in user space.

    The server is ``$LIVEMUSIC_JACK_SERVER`` (set by ``eval "$(.ci/midi-server)"``, which starts one
    on its dummy driver), else JACK's default; the test and the commands it runs get it as
    ``JACK_DEFAULT_SERVER``. Without one (or without python-rtmidi, or JACK's example clients) the
    test is skipped, except in CI.
    """
    import mido

    if os.environ.get("LIVEMUSIC_JACK_SERVER"):
        monkeypatch.setenv("JACK_DEFAULT_SERVER", os.environ["LIVEMUSIC_JACK_SERVER"])
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")

    backend = mido.Backend(JACK)
    try:
        backend.get_input_names()
        reason = "no jack_midi_dump (apt-get install jackd2)" if shutil.which("jack_midi_dump") is None else None
    except ImportError:
        reason = "python-rtmidi is not installed: pip install -e '.[midi]'"
    except SystemError as exc:  # RtMidi: no server
        reason = f"no JACK server ({exc}): start one with eval \"$(.ci/midi-server)\""
    if reason is None:
        return backend
    if os.environ.get("CI"):
        pytest.fail(f"CI tests real MIDI ports: {reason}")
    pytest.skip(reason)


@pytest.fixture
async def server():
    """livemusic's server on a free loopback port."""
    from livemusic.server import MusicServer

    async with MusicServer("127.0.0.1", 0) as running:
        yield running


def make_self_signed(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate valid for IP 127.0.0.1 and localhost, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def certificate(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A self-signed certificate trusted by this process through ``SSL_CERT_FILE``."""
    cert, key = make_self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return cert, key


@pytest.fixture
async def tls_server(certificate):
    """livemusic's server on TLS with a certificate this process trusts."""
    from livemusic.server import MusicServer, ssl_context

    cert, key = certificate
    context: ssl.SSLContext = ssl_context(str(cert), str(key))
    async with MusicServer("127.0.0.1", 0, ssl_context=context) as running:
        yield running
