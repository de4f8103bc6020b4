"""What the upload page shows of the kinds and of a checked file, shaped for its templates: each kind's
columns in the page's language, and a preview's rows with the names of the credit codes in the user's
reach (imports.selectors) and its errors under the column headers of the page's language."""

from __future__ import annotations

from clients.validators import normalize_uscc
from core.money import chinese
from imports.columns import CODE
from imports.errors import ImportResult, RowError
from imports.registry import importer_for, kind_choices
from imports.selectors import names_in_reach


def kind_columns(user=None) -> list[dict]:
    """Each kind (offered to the user) with its columns' headers in the page's language (the upload
    page's list)."""
    out = []
    for kind, label in kind_choices(user):
        columns = importer_for(kind).columns
        sep = "、" if chinese() else ", "
        out.append({"kind": kind, "label": label,
                    "required": sep.join(columns.header(k) for k in columns.required_keys),
                    "optional": sep.join(columns.header(k) for k in columns.optional_keys)})
    return out


def preview_context(user, kind: str, result: ImportResult) -> dict:
    """What the result fragment shows beside the counts: the columns' headers in the page's language,
    and the names of the credit codes in the preview rows the user may see (imports.selectors)."""
    try:
        columns = importer_for(kind).columns
    except KeyError:
        return {}
    code_positions = [i + 1 for i, key in enumerate(result.columns)
                      if key in columns.by_key and columns.spec(key).type == CODE]
    names = names_in_reach(user, [row[i] for row in result.preview for i in code_positions if i < len(row)]) \
        if code_positions and result.preview else {}
    rows = []
    for row in result.preview:
        rows.append([{"value": v, "name": names.get(normalize_uscc(v), "") if i in code_positions else ""}
                     for i, v in enumerate(row)])
    errors = [RowError(e.row, columns.header(e.column), e.message) for e in result.errors.sorted()]
    return {"result_errors": errors, "preview_headers": [columns.header(k) for k in result.columns],
            "preview_rows": rows}
