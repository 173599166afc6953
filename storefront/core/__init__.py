"""Cross-cutting web pieces: health, security headers, template helpers."""
