"""The owner's reports (/admin/reports): read models over the rollups, SVG charts, CSV exports."""
