"""The audio format and playback states, as plain Python: what the audio layer needs without pydantic.

``livemusic play`` opens the sound card on a thread while the rest of the client
imports; the audio modules import only this (and numpy), so opening the device
does not wait for the wire models. :mod:`livemusic.types` re-exports all of it.
"""

from __future__ import annotations

from enum import Enum

SAMPLE_RATE = 48_000
CHANNELS = 2


class PlaybackControl(str, Enum):
    PLAY = "PLAY"
    PAUSE = "PAUSE"
    STOP = "STOP"
    RESET_CONTEXT = "RESET_CONTEXT"


class PlaybackState(str, Enum):
    """Where a stream stands, as its playback controls left it: the one definition for client,
    server and player (a closed player is ``STOPPED``). Compares equal to its lower-case value."""

    STOPPED = "stopped"
    PLAYING = "playing"
    PAUSED = "paused"

    def after(self, control: PlaybackControl) -> PlaybackState:
        """The state a control leads to: PAUSE holds only a playing stream; RESET_CONTEXT keeps the state."""
        if control is PlaybackControl.PLAY:
            return PlaybackState.PLAYING
        if control is PlaybackControl.STOP:
            return PlaybackState.STOPPED
        if control is PlaybackControl.PAUSE and self is PlaybackState.PLAYING:
            return PlaybackState.PAUSED
        return self
