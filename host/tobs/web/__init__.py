"""The web view of the register: `tobs serve` (FastAPI, server-rendered pages, SVG charts, no JavaScript)."""
