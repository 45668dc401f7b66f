"""Batch Operations engine: job store, executor, validation, data generation, metadata.

`batchcore` never imports streamlit: the pages, the REST API and the CLI are faces over it.
"""

__version__ = "0.1.0"
