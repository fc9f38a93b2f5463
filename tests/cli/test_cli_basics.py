"""The CLI's shared behaviour: help texts, one-line errors, plugin listing."""

import json

from click.testing import CliRunner

from colim.cli import cli

from ..conftest import STRUCTURES


def all_commands(group=cli, prefix=()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if hasattr(command, "commands"):
            yield from all_commands(command, prefix + (name,))


def test_every_command_has_real_help():
    runner = CliRunner()
    for path, command in all_commands():
        result = runner.invoke(cli, list(path) + ["--help"])
        assert result.exit_code == 0, path
        assert command.help and len(command.help.split()) >= 5, f"colim {' '.join(path)} has no real help"


def test_plugins_lists_builtins_as_json():
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert {"kind": "ligand encoder", "name": "fingerprint", "package": "colim"}.items() <= rows[[r["name"] for r in rows].index("fingerprint")].items()


def test_inspect_reports_unreadable_file_in_one_line():
    result = CliRunner().invoke(cli, ["inspect", str(STRUCTURES / "nanomodeler_au_sr" / "au144SR60_NM.xyz")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {STRUCTURES / 'nanomodeler_au_sr' / 'au144SR60_NM.xyz'}: unknown element 'St'"]


def test_user_error_is_one_line_and_traceback_flag_shows_it(tmp_path):
    empty = tmp_path / "empty.xyz"
    empty.write_text("")
    runner = CliRunner()
    result = runner.invoke(cli, ["inspect", str(empty)])
    assert result.output.strip() == f"Error: {empty}: empty file"
