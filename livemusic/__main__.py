"""``python -m livemusic``: the command line."""

from livemusic.cli import main

main()
