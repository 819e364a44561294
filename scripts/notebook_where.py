"""Write the "Where it runs" line into each notebook's header cell (re-run it after a rebase).

``python scripts/notebook_where.py`` replaces the line (a blockquote starting ``> **Where it
runs:**``) at the end of each notebook's first cell, or adds it, and changes nothing else: the
other cells, their outputs and the metadata are written back as they were read.  The table in
README.md says the same in one place.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
MARK = "> **Where it runs:**"

WHERE = {
    "00-start-here": "local only (`lambdalab.Lab()`): it moves the virtual clock, which a server or AWS cannot.",
    "01-execution-role": (
        "anywhere: `lambdalab.Lab()`, a `lambdalab server` or AWS through `lambdalab.Lab.connect(...)` "
        "(README, *Beyond the local lab*), but the cell reading the lab's `logs-dropped` record (AWS says nothing "
        "when a role may not write logs). There, names carry the run's prefix (`ll-3f9a2c-lambda-exec`), "
        "and the account id, ARNs and timestamps are the account's."
    ),
    "02-deploy-and-manage": (
        "anywhere (`Lab()`, or `Lab.connect(...)` to a server or AWS). There, names carry the run's prefix; "
        "ids, code locations, RevisionIds and timestamps differ; AWS may take a few seconds to make a function Active."
    ),
    "03-sync-invoke": (
        "anywhere, but two cells: listing `lab.runtime`'s environments is local only, and the receipts function names "
        "its bucket in an environment variable without the run's prefix. On AWS durations, cold starts and log "
        "timestamps are real, and logs show up a few seconds late."
    ),
    "04-async-invoke-and-destinations": (
        "local only, except its first exercise (retry settings: anywhere). It reads async attempts, retry waits and "
        "deliveries from the trace, which only the local lab writes; on AWS the retries take one and two real minutes."
    ),
    "05-sqs-event-source-mapping": (
        "local only (virtual durations, the scaling rate, the batch views). Its exercises check their configuration "
        "anywhere; whether the right messages were deleted is checked on the local lab only, and says so."
    ),
    "06-streams": "local only: shards, checkpoints and bisections are read from the local lab's trace.",
    "07-triggers-and-permissions": "local only: the pushed events and denied pushes are read from the local lab.",
    "08-cli-reference": "local only: `%aws` runs the CLI against the notebook's own local lab.",
    "09-http-endpoints-and-layers": (
        "local only: its function URLs are the local lab's HTTP endpoints on 127.0.0.1, and it reads the local "
        "trace. The same calls work on AWS, where a URL is https://<url-id>.lambda-url.<region>.on.aws/."
    ),
    "11-durable-functions": (
        "local only: it plays weeks on the virtual clock and reads each execution's story from the lab's trace. "
        "The durable execution API calls themselves (history, callbacks, stop) are AWS's own."
    ),
}


def header(source: str, where: str) -> str:
    kept = [line for line in source.rstrip("\n").split("\n") if not line.startswith(MARK)]
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join([*kept, "", f"{MARK} {where}"])


def main() -> None:
    for stem, where in WHERE.items():
        path = NOTEBOOKS / f"{stem}.ipynb"
        notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        first = notebook.cells[0]
        assert first.cell_type == "markdown", f"{path.name}: the first cell is not the header"
        first.source = header(first.source, where)
        nbformat.write(notebook, path)


if __name__ == "__main__":
    main()
