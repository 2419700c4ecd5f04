"""The command line: the paper's study, domain pretraining, modality robustness.

``skmultimodal compare`` runs the paper's study, ``skmultimodal pretrain``
trains an image tower on public data sets and exports it, and
``skmultimodal robustness`` scores one model with each subset of its
modalities. Each command parses its arguments, loads the data and hands over
to the library's Python API. Exit status: 0 when the command ran; 2 when the
command line is malformed (an unknown option, a value of the wrong type or
out of range, ``--out`` naming a file), reported by argparse before any work;
1 when well-formed arguments cannot be carried out (an unknown data set, a
missing folder or file, data the library refuses, an ``--out`` folder holding
another study's results, pretrained weights that cannot be downloaded).
"""

import argparse
import sys
import warnings

from . import _compare, _pretrain, _robustness
from ._presets import PRESETS

__all__ = ["PRESETS", "main"]

_EPILOG = "Exit status: 0 done, 1 the data or --out cannot be used, 2 a malformed command line."


def main(argv=None):
    """Run the command line; return the exit status."""
    parser = _parser()
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit:  # argparse has printed the usage error (or --help)
        return exit.code
    if arguments.command is None:
        parser.print_help()
        return 2
    prefix = f"skmultimodal {arguments.command}"
    with warnings.catch_warnings():
        warnings.showwarning = lambda message, *_, **__: print(
            f"{prefix}: warning: {message}", file=sys.stderr
        )
        try:
            return arguments.run(arguments)
        except (ValueError, KeyError, OSError) as error:
            message = error.args[0] if isinstance(error, KeyError) and error.args else error
            print(f"{prefix}: error: {message}", file=sys.stderr)
            return 1


def _parser():
    parser = argparse.ArgumentParser(
        prog="skmultimodal",
        description="Multimodal skin lesion classification (Yap et al., 2018).",
        epilog=_EPILOG,
    )
    commands = parser.add_subparsers(dest="command")
    for command in (_compare, _pretrain, _robustness):
        command.add_parser(commands, epilog=_EPILOG)
    return parser
