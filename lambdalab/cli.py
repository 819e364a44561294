"""The ``lambdalab`` command.

``lambdalab lab``     opens JupyterLab at the first notebook (on 127.0.0.1). SIGTERM, SIGINT
                      and SIGHUP stop JupyterLab as SIGTERM does (its kernels shut down first),
                      and the command returns once JupyterLab has exited.
``lambdalab server``  serves a lab as an AWS endpoint for the ``aws`` CLI and other
                      SDKs, with the virtual clock following real time (times a speed
                      factor), until Ctrl-C.  Its keys go to a file only you can read,
                      which ``lambdalab.Lab.connect(url)`` reads.
``lambdalab cleanup`` deletes what one run of ``Lab.connect`` created (its name prefix and
                      tag), on a server or in an AWS account, and says what it removed.
``lambdalab assign NN``  turns notebook NN's exercises into an nbgrader assignment
                      (the ``grading`` extra): the instructor's and the learners' versions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

FIRST_NOTEBOOK = "00-start-here.ipynb"
FIRST_NOTEBOOK_URL = f"/lab/tree/{FIRST_NOTEBOOK}"


def notebooks_dir() -> Path:
    """The kit's notebooks: ./notebooks if present, else those beside the package."""
    here = Path.cwd() / "notebooks"
    if (here / FIRST_NOTEBOOK).exists():
        return here
    return Path(__file__).resolve().parent.parent / "notebooks"


def trust_course(folder: Path, data_dir: Path | None = None) -> list[str]:
    """Mark the course's own notebooks (``NN-*.ipynb``) trusted, as ``jupyter trust`` does; their names.

    JupyterLab shows an output's SVG only in a trusted notebook: a fresh clone's
    notebooks would show each view's title text instead of its committed picture
    until the cell runs.  Notebooks of the learner's own are left as they are.
    ``data_dir`` is Jupyter's data folder (where the signatures live), by default the user's.
    https://jupyter-server.readthedocs.io/en/latest/operators/security.html#notebook-security
    """
    import nbformat
    from jupyter_core.paths import jupyter_data_dir
    from nbformat.sign import NotebookNotary

    folder_of_signatures = data_dir or Path(jupyter_data_dir())
    # a fresh machine has no Jupyter data folder yet: without one, the signatures would stay in memory
    folder_of_signatures.mkdir(parents=True, exist_ok=True)
    notary = NotebookNotary(data_dir=str(folder_of_signatures))
    trusted = []
    for path in sorted(folder.glob("[0-9][0-9]-*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if not notary.check_signature(nb):
            notary.sign(nb)
        trusted.append(path.name)
    return trusted


def open_lab(args: argparse.Namespace) -> int:
    folder = notebooks_dir()
    if not (folder / FIRST_NOTEBOOK).exists():
        print(f"lambdalab: cannot find {FIRST_NOTEBOOK} (looked in {folder})", file=sys.stderr)
        return 2
    trust_course(folder)
    command = [
        sys.executable, "-m", "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={args.port}",
        f"--ServerApp.root_dir={folder}",
        # the URL Jupyter prints and opens is the first notebook's, not the Launcher's
        f"--LabApp.default_url={FIRST_NOTEBOOK_URL}",
    ]  # fmt: skip
    if args.no_browser:
        command.append("--no-browser")
    print(
        f"lambdalab: opening http://127.0.0.1:{args.port}{FIRST_NOTEBOOK_URL} (Jupyter prints it with its token)",
        flush=True,
    )
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root
    return run_until_stopped(command, cwd=folder)


#: the signals that stop ``lambdalab lab`` (a service manager's, Ctrl-C's, a closed terminal's)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def run_until_stopped(command: list[str], *, cwd: Path) -> int:
    """Run ``command`` and wait for it; each stop signal we receive reaches it as SIGTERM.

    Without this a SIGTERM (``make lab`` stopped by its caller, a container stopping) ends
    this process at once and leaves JupyterLab and its kernels running. JupyterLab takes
    SIGTERM as "stop now": it shuts its kernels down and exits; SIGHUP would kill it
    without that, and SIGINT would ask a question on the terminal first. A Ctrl-C in the
    terminal reaches both processes; JupyterLab then stops without asking.
    """
    child: subprocess.Popen[bytes] | None = None
    pending = False  # a stop signal came before the child existed

    def forward(signum: int, frame: FrameType | None) -> None:
        nonlocal pending
        if child is None:
            pending = True
        elif child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in STOP_SIGNALS}
    try:
        child = subprocess.Popen(command, cwd=cwd)
        if pending:  # a signal came while the child was being started
            child.send_signal(signal.SIGTERM)
        code = child.wait()  # a handled signal does not interrupt the wait (PEP 475)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code  # killed by a signal: the shell's 128 + N


def serve(args: argparse.Namespace) -> int:
    from .lab import Lab
    from .realtime_clock import RealtimeClock

    if args.speed <= 0:
        print("lambdalab: --speed must be greater than 0", file=sys.stderr)
        return 2
    clock = RealtimeClock(speed=args.speed)
    with Lab(clock=clock) as lab:
        from .awscli_plugin import write_config

        keys = lab.credentials
        print("lambdalab is serving a local AWS. In another shell:\n")
        print(f"  export AWS_ENDPOINT_URL={lab.endpoint_url}")
        print(f"  export AWS_DEFAULT_REGION={lab.region}")
        # this lab's own keys: the endpoint refuses any other (they are in the config file too)
        print(f"  export AWS_ACCESS_KEY_ID={keys.access_key} AWS_SECRET_ACCESS_KEY={keys.secret_key}")
        print("  unset AWS_SESSION_TOKEN AWS_PROFILE")
        # the aws CLI (v1) plugin: --cli-binary-format, and AWS_ENDPOINT_URL for every service
        config = write_config(region=lab.region, credentials=keys)
        lab.on_close(lambda: shutil.rmtree(config.parent, ignore_errors=True))
        print(f"  export AWS_CONFIG_FILE={config}")
        keys_file = _write_server_file(lab, args.speed)
        lab.on_close(lambda: keys_file.unlink(missing_ok=True))
        print(f"\nIn a notebook: lab = lambdalab.Lab.connect({lab.endpoint_url!r})")
        print(f"  (it reads this server's keys from {keys_file}, readable by you only)")
        print(f"\nVirtual time runs at {args.speed:g}x real time. Ctrl-C stops the lab.", flush=True)
        try:
            clock.run()  # the lab's clock plays out in real time until Ctrl-C
        except KeyboardInterrupt:
            print("\nlambdalab: stopped.")
    return 0


def _write_server_file(lab: Any, speed: float) -> Path:
    from .remote import server_file

    keys = lab.credentials
    info = server_file.ServerInfo(
        endpoint_url=lab.endpoint_url,
        region=lab.region,
        account_id=lab.account_id,
        access_key=keys.access_key,
        secret_key=keys.secret_key,
        speed=speed,
        started=time.time() - lab.clock.t / speed,
        virtual_start=(lab.clock.now - timedelta(seconds=lab.clock.t)).isoformat(),
        pid=os.getpid(),
    )
    return server_file.write(info)


def cleanup(args: argparse.Namespace) -> int:
    from .errors import LabError
    from .remote.cleanup import find_runs
    from .remote.connected_lab import connect

    if not args.list and not args.run_id:
        print("lambdalab: name the run to clean up (ll-3f9a2c-), or --list the runs left", file=sys.stderr)
        return 2
    try:
        lab = connect(
            args.endpoint_url, region=args.region, profile=args.profile, confirm=args.confirm,
            run=args.run_id, announce=not args.list,
        )  # fmt: skip
    except (LabError, ValueError) as err:
        print(f"lambdalab: {err}", file=sys.stderr)
        return 2
    if args.list:
        runs = find_runs(lab._raw)
        for run, items in sorted(runs.items()):
            print(f"ll-{run}-: " + ", ".join(f"{kind} {name}" for kind, name in items))
        print(f"{len(runs)} run(s) left" + (": `lambdalab cleanup ll-<run>-` removes one" if runs else ""))
        return 0
    lab.close()  # deletes the run's resources and prints what it removed
    report = lab.cleanup_report
    return 1 if report is not None and report.failed else 0


def assign(args: argparse.Namespace) -> int:
    import importlib.util

    from . import assignment

    try:
        name = assignment.assignment_name(args.number)
        source = assignment.write_course(Path(args.course).resolve(), notebooks_dir(), args.number)
    except ValueError as err:
        print(f"lambdalab: {err}", file=sys.stderr)
        return 2
    print(f"lambdalab: the instructor's version (with solutions) is {source}")
    if importlib.util.find_spec("nbgrader") is None:
        print("lambdalab: nbgrader is not installed: pip install 'lambdalab[grading]', then in the course folder run")
        print(f"  nbgrader generate_assignment {name} --force")
        return 0
    done = assignment.nbgrader(Path(args.course).resolve(), "generate_assignment", name, "--force")
    if done.returncode != 0:
        print(done.stdout + done.stderr, file=sys.stderr)
        return done.returncode
    print(f"lambdalab: the learners' version (no solutions) is {Path(args.course).resolve() / 'release' / name}")
    print(f"  grade the submissions in submitted/<learner>/{name}/ with: nbgrader autograde {name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lambdalab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    lab = sub.add_parser("lab", help="open JupyterLab at the first notebook")
    lab.add_argument("--port", type=int, default=int(os.environ.get("LAMBDALAB_PORT", "8888")))
    lab.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    lab.set_defaults(run=open_lab)
    server = sub.add_parser("server", help="serve a lab for the aws CLI and other SDKs")
    server.add_argument("--speed", type=float, default=1.0, help="virtual seconds per real second")
    server.set_defaults(run=serve)
    clean = sub.add_parser("cleanup", help="delete what one Lab.connect run created (its prefix and tag)")
    clean.add_argument(
        "run_id", metavar="RUN", nargs="?", help="the run's id or prefix, as Lab.connect printed it (ll-3f9a2c-)"
    )
    clean.add_argument("--list", action="store_true", help="list the runs whose resources are left, delete nothing")
    clean.add_argument("--endpoint-url", help="a lambdalab server (default: AWS, through boto3's credentials)")
    clean.add_argument("--region", help="the AWS region")
    clean.add_argument("--profile", help="the AWS profile")
    clean.add_argument("--confirm", metavar="ACCOUNT_ID", help="the AWS account id to clean up in (required on AWS)")
    clean.set_defaults(run=cleanup)
    assign_ = sub.add_parser("assign", help="turn notebook NN's exercises into an nbgrader assignment")
    assign_.add_argument("number", help="the notebook's number: 01, 05, ...")
    assign_.add_argument("--course", default="course", help="the nbgrader course folder (made if missing)")
    assign_.set_defaults(run=assign)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
