"""Bulk imports (flows, circle members, chain links, enterprises) from CSV, XLSX and the API.

- `reader`: opens a file or a list of records and yields pandas chunks of strings with row numbers;
  whole-file problems (size, encoding, headers, empty) raise `ImportFileError`.
- `checks`: vectorised per-chunk format checks that add row errors.
- `engine`: the `Importer` base class and `run_import`, the all-or-nothing, idempotent driver.
- `flows`: the fast flows path (COPY into a TEMP staging table, set-based SQL validation, one
  INSERT ... SELECT ... ON CONFLICT DO NOTHING); `others`: circle members, chain links, enterprises.
- `services`: what pages, the API and the command call.
"""
