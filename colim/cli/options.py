"""Option parsers shared by the commands: each raises ``click.BadParameter`` so the message names the option."""

from __future__ import annotations
