"""The notebooks as files: what nbval compares is a cell tag (learners see only their code), and
the kernel metadata is what JupyterLab writes for this kernel, so opening a notebook changes nothing."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_output_checks_are_tags_not_comments(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [c.source for c in code if "NBVAL" in c.source]
    assert any("nbval-check-output" in c.metadata.get("tags", []) for c in code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_kernel_metadata_is_the_same_everywhere(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"] == KERNELSPEC
    assert nb.metadata["language_info"]["name"] == "python"
    first = nbformat.read(NOTEBOOKS[0], as_version=4).metadata["language_info"]
    assert nb.metadata["language_info"] == first
