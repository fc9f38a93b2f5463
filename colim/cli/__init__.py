"""The ``colim`` command line: one module per subcommand, gathered here.

User errors (:class:`colim.errors.ColimError`) print as one ``Error: ...`` line with exit status 1;
``colim --traceback ...`` shows the full trace instead.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from pathlib import Path

import click

from colim import api
from colim.cli.options import bad_parameter_line
from colim.errors import ColimError, ColimWarning

#: modules that each define a click command or group named ``command``.
COMMAND_MODULES: tuple[str, ...] = (
    "colim.cli.plugins_cmd",
    "colim.cli.inspect_cmd",
    "colim.cli.library_cmd",
    "colim.cli.screen_cmd",
    "colim.cli.report_cmd",
    "colim.cli.edit_cmd",
    "colim.cli.weights_cmd",
    "colim.cli.explain_cmd",
    "colim.cli.dataset_cmd",
    "colim.cli.train_cmd",
    "colim.cli.pretrain_cmd",
    "colim.cli.pretrain_data_cmd",
    "colim.cli.evaluate_cmd",
    "colim.cli.compare_cmd",
    "colim.cli.core_lift_cmd",
    "colim.cli.cross_match_cmd",
    "colim.cli.demo_cmd",
)


class ColimGroup(click.Group):
    """A click group that turns :class:`ColimError` into one clean error line."""

    def invoke(self, ctx: click.Context):
        try:
            with warnings.catch_warnings():  # the commands print the API's warnings as 'Warning:' lines themselves
                warnings.simplefilter("ignore", ColimWarning)
                return super().invoke(ctx)
        except ColimError as exc:
            root = ctx.find_root()
            if root.params.get("traceback"):
                raise
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:  # commands write whole files or nothing (colim.io.output_files)
            if ctx.find_root().params.get("traceback"):
                raise
            raise click.ClickException("interrupted (Ctrl-C) before the command finished; no output was half-written") from None
        except click.BadParameter as exc:  # one line and exit 1, like every other user error (docs/errors.md)
            raise click.ClickException(bad_parameter_line(exc)) from exc
        except OSError as exc:  # a read-only folder or a full disk met outside colim.io.output_files
            err = api.writable_folder_error(exc, Path(exc.filename or "output"))
            if err is exc or ctx.find_root().params.get("traceback"):
                raise
            raise click.ClickException(str(err)) from exc


@click.group(cls=ColimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(api.__version__, prog_name="colim")
@click.option("--traceback", is_flag=True, help="Show the full Python traceback on errors instead of one line.")
def cli(traceback: bool) -> None:
    """colim: which protective ligands stabilise a designed coinage-metal nanocluster core?

    Build a core–ligand dataset from cluster structures, train the CoLiM dual-encoder model, edit
    cores atom by atom, and screen thousands of ligand sets against every edited core.
    """


try:
    for _path in COMMAND_MODULES:
        cli.add_command(importlib.import_module(_path).command)
except KeyboardInterrupt:  # Ctrl-C while torch & co load: one line, not an import traceback
    click.echo("Error: interrupted (Ctrl-C) while colim was starting; nothing was written", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    # nothing is open yet; a plain exit could still end by SIGINT (status 130) when the interrupt passed
    # through an extension's PyRun_* call during the import, so leave with status 1 directly.
    os._exit(1)
