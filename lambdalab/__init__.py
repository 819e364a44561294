"""lambdalab: learn how AWS Lambda behaves, on your own machine.

A :class:`Lab` is a local AWS (moto behind lambdalab's gateway) whose Lambda
really runs function code, on a virtual clock.  See ``notebooks/00-start-here``.
"""

from __future__ import annotations

from . import cli_magic as _cli_magic
from .errors import AwsError, LabError
from .lab import Lab
from .packaging import zip_files, zip_folder

_cli_magic.register_if_ipython()  # %aws in a notebook, as soon as lambdalab is imported

__all__ = ["AwsError", "Lab", "LabError", "zip_files", "zip_folder", "__version__"]
__version__ = "0.1.0"
