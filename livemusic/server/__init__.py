"""livemusic's BidiGenerateMusic server (``livemusic serve``): the embedded engine over the wire.

``session`` holds one client's music state without sockets, ``pacing`` how
far it may run ahead of real time, ``websocket`` the thin I/O layer and
``process`` the process around it. The protocol rules are the sans-I/O
:mod:`livemusic.live.server_protocol`.
"""

from livemusic._lazy import lazy_exports

_EXPORTS = {
    "MusicServer": "livemusic.server.websocket",
    "MusicSession": "livemusic.server.session",
    **{name: "livemusic.server.pacing" for name in ("Pacer", "Pacing")},
    **{name: "livemusic.server.process" for name in ("run", "ssl_context")},
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
