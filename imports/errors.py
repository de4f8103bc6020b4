"""What an import reports: row errors (capped), whole-file errors, counts and a preview."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings


class ImportFileError(Exception):
    """The file as a whole cannot be read: too large, wrong encoding, wrong headers, empty."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class RowError:
    row: int  # as the user sees it: file row (header = 1) or 0-based index in an API list
    column: str
    message: str


class ErrorList:
    """Row errors, keeping the first `cap` and counting the rest (a 1M-row file with a wrong column
    would otherwise produce a million messages)."""

    def __init__(self, cap: int | None = None):
        self.cap = cap if cap is not None else getattr(settings, "IMPORT_MAX_ERRORS", 1000)
        self.items: list[RowError] = []
        self.total = 0

    def add(self, row: int, column: str, message) -> None:
        self.total += 1
        if len(self.items) < self.cap:
            self.items.append(RowError(int(row), column, str(message)))

    def add_many(self, rows, column: str, message) -> None:
        """Add the same error to many rows (a pandas Series or list of row numbers)."""
        rows = list(rows)
        self.total += len(rows)
        room = max(self.cap - len(self.items), 0)
        self.items.extend(RowError(int(r), column, str(message)) for r in rows[:room])

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def truncated(self) -> int:
        return self.total - len(self.items)

    def sorted(self) -> list[RowError]:
        return sorted(self.items, key=lambda e: (e.row, e.column))


@dataclass
class ImportResult:
    kind: str
    committed: bool = False
    total_rows: int = 0
    created: int = 0
    already_present: int = 0
    file_errors: list[str] = field(default_factory=list)
    errors: ErrorList = field(default_factory=ErrorList)
    notes: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    preview: list[list[str]] = field(default_factory=list)
    # Groups whose members or circle the imported rows touch (flows): their chains are re-examined.
    group_ids: list[int] = field(default_factory=list)
    # Flows: the total of the readable rows in CNY equivalent (core.fx), and the rows in currencies
    # without a rate for their dates (not in it).
    total_amount: Decimal | None = None
    other_currency_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.errors

    @property
    def error_count(self) -> int:
        return self.errors.total + len(self.file_errors)
