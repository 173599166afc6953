"""Only storefront/payments/stripe*.py may import stripe: the rest of the shop sees the provider interface."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "storefront"


def _imports_stripe(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "stripe" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "stripe":
            return True
    return False


def test_only_the_stripe_provider_imports_stripe():
    importers = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if _imports_stripe(p)}
    assert importers == {"payments/stripe_provider.py"}
