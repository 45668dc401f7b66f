"""Shared rendering helpers for the Streamlit pages (never imported by batchcore).

Pages stay thin: they read widgets, call batchcore and render with these helpers. The package
lives outside `pages/` so st.navigation lists only the pages ui.py passes it.
"""
