"""docs/notebooks/explore.ipynb runs top to bottom against a sandbox simulator (nbclient)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "notebooks" / "explore.ipynb"


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out["text"])
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
    return "".join(parts)


def test_explore_notebook_runs_top_to_bottom(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")  # no display; the kernel inherits it
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # stored clean
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert _text(code[0]).startswith("<Collection Contact.all(): 300 objects [<intercom.Contact")
    assert "contacts: 300" in _text(code[1])
    assert "conversations: 80" in _text(code[3])
    assert "days: " in _text(code[4]) and "median first response: " in _text(code[5])
    assert "Name: count" in _text(code[6])  # the top tags Series
    assert "text/html" in code[1].outputs[-1]["data"]  # the DataFrame's HTML table
