"""A base for importers of small tables (thousands of rows, not millions): circle members, chain links,
enterprises.

They share the flows' reader and format checks; staging is a list of checked chunks, resolved against
the database with one query per lookup (credit codes, groups, existing rows) and written with one
`bulk_create_with_history`, so every imported row gets its initial history record.
"""

from __future__ import annotations

import pandas as pd

from imports.engine import Importer
from imports.errors import ErrorList
from imports.reader import ROW


class FrameImporter(Importer):
    def begin(self) -> None:
        self.frames: list[pd.DataFrame] = []

    def stage(self, df: pd.DataFrame) -> None:
        self.frames.append(df.copy())

    def frame(self) -> pd.DataFrame:
        return pd.concat(self.frames, ignore_index=True) if self.frames else pd.DataFrame(
            columns=[ROW, *self.columns.all])

    @staticmethod
    def report(df: pd.DataFrame, mask: pd.Series, column: str, messages, errors: ErrorList) -> None:
        """Row errors for `mask`; `messages` is one message or a Series of per-row messages."""
        for i in df.index[mask]:
            msg = messages if isinstance(messages, str) else messages[i]
            errors.add(df.at[i, ROW], column, msg)


def compare(df: pd.DataFrame, existing: pd.DataFrame, key: list[str], fields: list[str]):
    """Join the file rows to stored rows on `key`; returns (present mask, conflict mask, merged):
    present where a stored row has the same `fields`, conflict where it has others."""
    merged = df.merge(existing, on=key, how="left", suffixes=("", "__db"), indicator=True)
    stored = merged["_merge"] == "both"
    differs = pd.Series(False, index=merged.index)
    for f in fields:
        differs |= merged[f].astype(str) != merged[f + "__db"].astype(str)
    return stored & ~differs, stored & differs, merged
