"""Synthetic data generation: Retail, Finance and Healthcare star schemas (docs/datagen.md).

spec (how tables are declared), sqlfn and calendar (SQL snippets for distributions), schemas/
(the three schemas), defects (requested defects and their ground truth), generator (plan, compile,
write into DuckDB), loaders (SQLite, PostgreSQL, MySQL targets), pipelines (the validation
pipelines each schema must pass).
"""
