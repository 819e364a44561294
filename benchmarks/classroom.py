"""How many learners one machine holds: N learners run notebook 05 at the same time.

Each learner is a process of its own (standing in for a learner's Jupyter server) that
runs ``05-sqs-event-source-mapping`` top to bottom in a fresh kernel with nbclient: one
lab per kernel, its functions' execution environments as real processes. For N = 1, 5,
10 and 20 learners started together it prints:

- memory per learner: the PSS (proportional set size, from ``/proc/<pid>/smaps_rollup``)
  of the learner's kernel and every process below it (supervisors, function processes),
  at its peak. PSS splits a page shared by k processes into k parts, so the learners'
  PSS add up to what the machine really spends on them; the nbclient driver itself is
  not counted (a hub's single-user server is: see the last line).
- wall time: from starting the N learners until the last one finishes, against N = 1;
  and each learner's CPU seconds (its kernel and every process the kernel waited for).
  The CPU floor is the learners' CPU seconds over the cores: no machine of that many cores
  runs the room faster, however idle it is.
- the load: the machine's load average before the run, and how busy its cores were
  during it (others' work included: the machine may be shared).

Last, one JupyterLab server's own PSS (``lambdalab lab``, idle), to set one learner's
whole footprint against Binder's 1 GB guarantee.

Goals (issue 14): at most 300 MB per learner; 20 learners within 4x of one learner's
wall time on two cores.

    .venv/bin/python benchmarks/classroom.py            # N = 1, 5, 10, 20
    .venv/bin/python benchmarks/classroom.py 1 5        # the counts given
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "05-sqs-event-source-mapping.ipynb"
sys.path.insert(0, str(ROOT / "tests"))
from process_tree import descendants, free_port  # noqa: E402  (the tests' /proc readers)

COUNTS = (1, 5, 10, 20)
MB = 1024 * 1024


def pss_bytes(pid: int) -> int:
    """The process's proportional set size, 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def tree_pss(root: int, *, without_root: bool) -> tuple[int, int]:
    """(PSS in bytes, process count) of ``root``'s tree."""
    pids = [pid for pid, _ in descendants(root) if not (without_root and pid == root)]
    return sum(pss_bytes(pid) for pid in pids), len(pids)


def cpu_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


# -- one learner ------------------------------------------------------------------------------


def learner(report: Path) -> None:
    """Run notebook 05 in a fresh kernel; write seconds, CPU seconds and errors to ``report``."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    start = time.perf_counter()
    error = None
    try:
        client.execute()
    except Exception as err:  # a failed cell: the room's result says so
        error = f"{type(err).__name__}: {str(err)[-300:]}"
    seconds = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    report.write_text(json.dumps({"seconds": seconds, "cpu": children.ru_utime + children.ru_stime, "error": error}))


# -- a room of N learners ---------------------------------------------------------------------


@dataclass
class Room:
    n: int
    load_before: float
    wall: float = 0.0
    busy: float = 0.0  # the cores' busy share during the run, everyone's work included
    peak_pss: list[int] = field(default_factory=list)  # per learner
    peak_total: int = 0  # all learners at once, at the busiest sample
    peak_processes: int = 0
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def run_room(n: int) -> Room:
    room = Room(n, load_before=os.getloadavg()[0])
    folder = Path(tempfile.mkdtemp(prefix="lambdalab-classroom-"))
    reports = [folder / f"learner-{i}.json" for i in range(n)]
    busy0, total0 = cpu_busy()
    start = time.perf_counter()
    learners = [
        subprocess.Popen([sys.executable, __file__, "--learner", str(report)], stderr=subprocess.DEVNULL)
        for report in reports
    ]
    room.peak_pss = [0] * n
    pause = 0.5
    while any(p.poll() is None for p in learners):
        sweep = time.perf_counter()
        total = processes = 0
        for i, proc in enumerate(learners):
            pss, count = tree_pss(proc.pid, without_root=True)
            room.peak_pss[i] = max(room.peak_pss[i], pss)
            total, processes = total + pss, processes + count
        room.peak_total = max(room.peak_total, total)
        room.peak_processes = max(room.peak_processes, processes)
        # reading smaps costs CPU the learners want: the sampler takes at most a third of its time
        pause = max(0.5, 2 * (time.perf_counter() - sweep))
        time.sleep(pause)
    room.wall = time.perf_counter() - start
    busy1, total1 = cpu_busy()
    room.busy = (busy1 - busy0) / max(1, total1 - total0)
    for report in reports:
        result = json.loads(report.read_text())
        room.seconds.append(result["seconds"])
        room.cpu.append(result["cpu"])
        if result["error"]:
            room.errors.append(result["error"])
        report.unlink()
    folder.rmdir()
    return room


# -- one JupyterLab server ----------------------------------------------------------------------


def jupyterlab_pss() -> int:
    """PSS of an idle ``lambdalab lab`` (JupyterLab, no kernel) once it answers."""
    import urllib.request

    port, token = free_port(), "classroom"
    env = {**os.environ, "JUPYTER_TOKEN": token}
    server = subprocess.Popen(
        [sys.executable, "-m", "lambdalab.cli", "lab", "--no-browser", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=5).read()
                break
            except OSError:
                time.sleep(0.5)
        time.sleep(2)  # let it settle after the first page
        return tree_pss(server.pid, without_root=True)[0]  # without lambdalab's own wrapper process
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def main(counts: list[int]) -> int:
    cores = os.cpu_count() or 1
    print(f"notebook 05 in N kernels at once, on {cores} cores (load average now {os.getloadavg()[0]:.1f})\n")
    print("| learners | wall time | vs 1 learner | per learner: peak PSS (mean / max) | all learners' peak PSS "
          "| processes | CPU s per learner | CPU floor | cores busy | load before |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    first: float | None = None
    failed = False
    for n in counts:
        room = run_room(n)
        first = first if first is not None else room.wall
        mean_pss = sum(room.peak_pss) / n
        print(
            f"| {n} | {room.wall:.1f} s | {room.wall / first:.1f}x | {mean_pss / MB:.0f} / {max(room.peak_pss) / MB:.0f} MB"
            f" | {room.peak_total / MB:,.0f} MB ({room.peak_total / n / MB:.0f} MB each) | {room.peak_processes}"
            f" | {sum(room.cpu) / n:.1f} | {sum(room.cpu) / cores:.0f} s | {room.busy * 100:.0f}% of {cores}"
            f" | {room.load_before:.1f} |",
            flush=True,
        )
        for error in room.errors:
            failed = True
            print(f"    a learner's notebook failed: {error}")
    server = jupyterlab_pss()
    print(f"\nan idle JupyterLab server (lambdalab lab): {server / MB:.0f} MB PSS")
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--learner"]:
        learner(Path(sys.argv[2]))
    else:
        sys.exit(main([int(a) for a in sys.argv[1:]] or list(COUNTS)))
