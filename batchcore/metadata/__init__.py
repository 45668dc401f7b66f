"""Metadata extraction: catalogs per dialect, snapshots in the job store, diffs (docs/metadata.md).

model (the catalog shape), extract and extract_<dialect> (bulk catalog queries), snapshots
(reading catalog_snapshots), diff (comparing two snapshots; JSON, CSV and text exports).
"""
