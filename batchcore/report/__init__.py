"""The review report (issue 15 §4) and the figures of check history shared by the UI and the
report: `figures.py` (Plotly, no Streamlit), `html.py` (the self-contained HTML file)."""
