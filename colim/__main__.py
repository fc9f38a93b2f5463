"""``python -m colim``: the command line, as the ``colim`` script runs it."""

from colim.cli import cli

if __name__ == "__main__":
    cli()
