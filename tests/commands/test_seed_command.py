"""``hub seed`` takes its scale and progress options from the command line."""

from __future__ import annotations

import argparse

import pytest

from hub.commands import seed as command


def test_cli_registers_seed_command() -> None:
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["seed", "--scale", "3", "--no-progress"])
    assert (args.scale, args.no_progress, args.func.__name__) == (3, True, "_seed")
    with pytest.raises(SystemExit):
        parser.parse_args(["seed", "--scale", "0"])
