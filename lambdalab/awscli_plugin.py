"""An ``aws`` CLI (v1) plugin that accepts AWS CLI v2's ``--cli-binary-format``.

The kit installs awscli v1 (from PyPI); AWS's examples are written for v2, where blob
parameters such as ``lambda invoke --payload`` are base64 unless
``--cli-binary-format raw-in-base64-out`` says they are raw text.  v1 always takes
them raw, so this plugin adds the option and honours both values:

- ``raw-in-base64-out``: the text is the payload (v1's own behaviour);
- ``base64``: the text is base64 and is decoded first (v2's default).

It also lets ``AWS_ENDPOINT_URL`` reach ``aws sqs`` (v1 sends SQS to its legacy hostname).

The lab writes a config file that loads the plugin (:func:`write_config`) and points
``AWS_CONFIG_FILE`` at it (``%aws`` does so, and ``lambdalab server`` prints the export).

https://docs.aws.amazon.com/cli/latest/userguide/cliv2-migration-changes.html#cliv2-migration-binaryparam
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .credentials import Credentials

CHOICES = ("base64", "raw-in-base64-out")
_state: dict[str, str] = {}


def awscli_initialize(cli: Any) -> None:
    """awscli calls this when it loads the plugin."""
    cli.register("building-top-level-params", _add_option)
    cli.register("top-level-args-parsed", _remember)
    cli.register("process-cli-arg", _decode_blob)
    # after awscli's own built-ins (loaded after plugins), so that this one runs last
    cli.register(
        "session-initialized",
        lambda session, **kw: session.get_component("event_emitter").register_last(
            "before-building-argument-table-parser", _keep_endpoint_url, unique_id="lambdalab-endpoint-url"
        ),
    )


def _keep_endpoint_url(session: Any, parsed_globals: Any, **kwargs: Any) -> None:
    """awscli v1 points ``sqs`` (and a few others) at their legacy hostnames unless
    ``--endpoint-url`` is given, even when ``AWS_ENDPOINT_URL`` is set; v2 honours the
    variable.  Give the variable back its say."""
    from awscli.customizations.overridesslcommonname import SSL_COMMON_NAMES

    service = str(getattr(parsed_globals, "command", ""))
    legacy = SSL_COMMON_NAMES.get(service, {}).values()
    current = getattr(parsed_globals, "endpoint_url", None)
    if current is None or current.removeprefix("https://") not in legacy:
        return
    wanted = os.environ.get(f"AWS_ENDPOINT_URL_{service.upper().replace('-', '_')}") or os.environ.get(
        "AWS_ENDPOINT_URL"
    )
    if wanted:
        parsed_globals.endpoint_url = wanted


def _add_option(argument_table: dict[str, Any], **kwargs: Any) -> None:
    from awscli.arguments import CustomArgument

    argument_table["cli-binary-format"] = CustomArgument(
        "cli-binary-format",
        choices=list(CHOICES),
        help_text="How blob parameters are given (AWS CLI v2's option): base64 or raw-in-base64-out.",
    )


def _remember(parsed_args: Any, **kwargs: Any) -> None:
    _state["format"] = getattr(parsed_args, "cli_binary_format", None) or "raw-in-base64-out"


def _decode_blob(cli_argument: Any, value: Any, **kwargs: Any) -> Any:
    model = getattr(cli_argument, "argument_model", None)
    if _state.get("format") != "base64" or model is None or model.type_name != "blob" or not isinstance(value, str):
        return None
    if value.startswith(("file://", "fileb://")):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        from awscli.argprocess import ParamError

        raise ParamError(
            cli_argument.cli_name,
            "Invalid base64: the value of a blob parameter must be base64 "
            "unless --cli-binary-format raw-in-base64-out is given",
        ) from None


def write_config(
    folder: Path | None = None, *, region: str = "us-east-1", credentials: Credentials | None = None
) -> Path:
    """A CLI config file that loads this plugin (and holds ``credentials``, readable by its owner only)."""
    folder = folder or Path(tempfile.mkdtemp(prefix="lambdalab-aws-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config"
    keys = ""
    if credentials is not None:
        keys = f"aws_access_key_id = {credentials.access_key}\naws_secret_access_key = {credentials.secret_key}\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(
            "[default]\n"
            f"region = {region}\n"
            f"{keys}"
            "output = json\n"
            "cli_pager =\n"
            "\n[plugins]\n"
            "lambdalab = lambdalab.awscli_plugin\n"
        )
    return path
