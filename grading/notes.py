"""The "Notes from the autograder" cell at the top of a graded notebook (what happened, in
words)."""

from __future__ import annotations

from nbformat.v4 import new_markdown_cell

NOTES_MARKER = "<!-- autograder-notes -->"
NOTES_TITLE = "## Notes from the autograder"


def notes_cell(nb):
    """The notes cell at the top of the notebook, created if missing."""
    if nb.cells and nb.cells[0].cell_type == "markdown" and NOTES_MARKER in nb.cells[0].source:
        return nb.cells[0]
    cell = new_markdown_cell(f"{NOTES_MARKER}\n{NOTES_TITLE}\n")
    nb.cells.insert(0, cell)
    return cell


def add_notes(nb, notes) -> None:
    """Append bullet points to the notes cell (no duplicates); nothing happens without notes."""
    notes = list(notes)
    if not notes:
        return
    cell = notes_cell(nb)
    for note in notes:
        line = f"- {note}"
        if line not in cell.source:
            cell.source = cell.source.rstrip("\n") + "\n" + line + "\n"
