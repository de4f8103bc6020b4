"""Bulk imports from CSV, XLSX and the API: the framework, not the domain rules.

- `reader`: the whole-file checks (size, type, encoding, CSV header), then chunks of strings with
  the row numbers users see; whole-file problems raise `ImportFileError`.
- `checks`: vectorised per-chunk format checks that add row errors.
- `engine`: the `Importer` base class and `run_import`, the one all-or-nothing, idempotent driver.
- `frame`: a base for the small tables (staged as pandas frames, written with one bulk insert).
- `registry`: the importers by kind; each domain app declares its own in `<app>/importers.py`
  (flows and chain links in `chains`, circle members in `circles`, enterprises in `clients`), found
  by `ImportsConfig.ready()` the way the admin finds `admin.py` modules.
- `models`: `SourceSystem`, the list of source systems head office keeps.
- `services`: what the upload page, the API and `manage.py import` call.
- `columns`: each importer column declared once: its key, Chinese header, accepted header variants,
  value type and, for choices, the model's TextChoices (labels in both languages) and extra words.
- `blanks`: the downloadable templates (XLSX with a notes sheet, CSV) in the page's language.
- `selectors` / `preview`: names beside credit codes (full record and counterparties only), the
  templates' example parties, and what the upload page shows of a checked file.
"""
