"""The import graph between storefront's packages keeps its shape (README, "How the code is laid out").

Every module under storefront/ is parsed (imports anywhere in a file, function-level and
TYPE_CHECKING ones included, relative and absolute) and each failure names the import that
breaks a rule, as `file:line -> target`:
  (a) no cycle between packages;
  (b) the floor imports no feature and nothing of the assembly layer;
  (c) no feature imports the assembly layer;
  (d) no view module (views.py, or any module that makes a Blueprint or routes) imports another
      package's view module;
  (e) only storefront/payments/stripe*.py imports stripe;
  (f) a feature imports only the floor and the features below it (FEATURES, bottom first).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "storefront"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

FLOOR = frozenset({"config", "db", "extensions", "money", "clock", "domain", "errors", "hashing", "core", "jobs"})
# Bottom first: each may import the floor and the features before it.
FEATURES = (
    "auth",
    "catalog",
    "brand",  # the shop's look and contact; needs the catalog (its generation, featured categories)
    "pwa",  # manifest, worker, icons: the brand's name, colours and logo
    "inventory",
    "cart",
    "orders",
    "payments",
    "analytics",
    "sellers",
    "stores",
    "promotions",  # discount codes: checkout redeems them, reports and admin show them
    "reviews",  # verified-buyer reviews of order lines (refunds from payments); checkout, reports, admin show them
    "aftersales",  # returns, exchanges, problems: orders, payments (refunds), inventory (stock back), catalog (photos)
    "showcase",  # sellers' pages, collections, several products in one share: catalog, sellers, brand
    "pages",  # the shop's own pages and the sitemap: the brand's contact, the stores, the catalog's products
    "customers",  # one customer per phone/email across orders: figures, tags, notes, marketing consent
    "segments",  # saved live customer filters over customers, orders, products and behaviour
    "notify",  # web push, email and alerts: follows orders, payments, stock and jobs; checkout and admin show it
    "checkout",
    "seo",  # structured data (JSON-LD) on shopper pages: catalog, brand, stores, reviews, return window, pages
    "feeds",  # Google and Meta product feeds: read the catalog and the brand; admin shows the links
    "campaigns",  # offers to a segment by push, email or a WhatsApp export: customers, segments, notify, orders
    "reminders",  # automatic cart and lapse reminders: customers, cart, orders, notify (sending), catalog
    "reports",
    "ops",  # reconciliation after faults: reads inventory, orders, payments, jobs and sellers' commissions
    "admin",
)
FLOOR_ONLY_FEATURES: frozenset[str] = frozenset()  # features that need nothing but the floor
ASSEMBLY = frozenset({"__init__", "cli", "demo", "models"})  # builds the app: may import anything
# A module serves pages when it makes a Blueprint or puts routes on one (admin/products.py too).
VIEW_MODULE = re.compile(r"\bBlueprint\(|^\s*@\w+\.(?:get|post|put|patch|delete|route)\(", re.M)


@dataclass(frozen=True)
class Import:
    """One import of a storefront module (or of stripe) found in a file."""

    path: str  # the importing file, relative to the repository (storefront/orders/service.py)
    line: int
    source: str  # the importing module, dotted (storefront.orders.service)
    target: str  # the imported module, dotted (storefront.cart.models, or stripe)
    source_is_view: bool = False  # the importing module serves pages (see VIEW_MODULE)
    target_is_view: bool = False

    def __str__(self) -> str:
        return f"{self.path}:{self.line} -> {self.target}"

    @property
    def source_unit(self) -> str:
        return unit_of(self.source)

    @property
    def target_unit(self) -> str:
        return unit_of(self.target)


def unit_of(module: str) -> str:
    """The package (or top-level module) a storefront module belongs to: storefront.orders.x -> orders."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(root: Path, path: Path) -> tuple[str, bool]:
    """The dotted name of a file under `root` (the package directory), and whether it is a package."""
    relative = path.relative_to(root.parent).with_suffix("")
    parts = list(relative.parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def collect_imports(root: Path = ROOT) -> list[Import]:
    """Every import of the package's own modules (and of stripe) in every file under `root`."""
    texts = {module_name(root, p)[0]: p.read_text(encoding="utf-8") for p in root.rglob("*.py")}
    views = {m for m, text in texts.items() if m.endswith(".views") or VIEW_MODULE.search(text)}
    found: list[Import] = []
    for path in sorted(root.rglob("*.py")):
        source, is_package = module_name(root, path)
        shown = path.relative_to(root.parent).as_posix()
        for node in ast.walk(ast.parse(texts[source], filename=shown)):
            for target in _targets(node, source, is_package, set(texts)):
                found.append(Import(shown, node.lineno, source, target, source in views, target in views))
    return found


def _targets(node: ast.AST, source: str, is_package: bool, modules: set[str]) -> list[str]:
    """The modules one import statement brings in (submodules named in `from x import y` included)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if _watched(a.name)]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        package = source.split(".") if is_package else source.split(".")[:-1]
        base_parts = package[: len(package) - (node.level - 1)]
        base = ".".join(base_parts + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    if not _watched(base):
        return []
    targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
    return sorted(set(targets))


def _watched(module: str) -> bool:
    """True for the shop's own modules and for stripe."""
    top = module.split(".")[0]
    return top in (PACKAGE, "stripe")


def violations(imports: list[Import]) -> list[str]:
    """Every broken rule, one line each, naming the offending import."""
    problems: list[str] = []
    own = [i for i in imports if i.target.split(".")[0] == PACKAGE]
    for imp in imports:
        problems += _stripe_problem(imp)
    for imp in own:
        problems += _layer_problems(imp) + _views_problem(imp)
    problems += _cycle_problems(own)
    return problems


def _stripe_problem(imp: Import) -> list[str]:
    """(e) stripe stays behind the payment provider interface."""
    if imp.target.split(".")[0] != "stripe":
        return []
    if imp.source.startswith(f"{PACKAGE}.payments.stripe"):
        return []
    return [f"{imp}: only {PACKAGE}/payments/stripe*.py may import stripe"]


def _layer_problems(imp: Import) -> list[str]:
    """(b), (c), (f): imports point down, never into the assembly layer."""
    source, target = imp.source_unit, imp.target_unit
    if source == target or source in ASSEMBLY:
        return []
    if source in FLOOR:
        return [] if target in FLOOR else [f"{imp}: the floor ({source}) must not import {target}"]
    if target in ASSEMBLY:
        return [f"{imp}: a feature ({source}) must not import the assembly layer ({target})"]
    if target in FLOOR:
        return []
    if source in FLOOR_ONLY_FEATURES:
        return [f"{imp}: {source} may import only the floor, not {target}"]
    if source not in FEATURES or target not in FEATURES:
        return [f"{imp}: {source} or {target} is not placed in the package graph (tests/test_architecture.py)"]
    if FEATURES.index(target) > FEATURES.index(source):
        return [f"{imp}: {source} must not import {target}, which sits above it"]
    return []


def _views_problem(imp: Import) -> list[str]:
    """(d) a view module never imports another package's view module."""
    if not imp.source_is_view or imp.source_unit == imp.target_unit:
        return []
    if imp.target_is_view:
        return [f"{imp}: a views module must not import another package's views"]
    return []


def _cycle_problems(imports: list[Import]) -> list[str]:
    """(a) one line per cycle between packages, listing an import for each of its steps."""
    edges: dict[str, dict[str, Import]] = {}
    for imp in imports:
        if imp.source_unit != imp.target_unit:
            edges.setdefault(imp.source_unit, {}).setdefault(imp.target_unit, imp)
    problems = []
    for component in _strongly_connected(edges):
        if len(component) > 1:
            cycle = _cycle_within(component, edges)
            steps = "; ".join(str(edges[a][b]) for a, b in zip(cycle, cycle[1:], strict=False))
            knot = "" if len(component) == 2 else f" (one of the cycles among {', '.join(component)})"
            problems.append(f"import cycle {' -> '.join(cycle)}{knot}: {steps}")
    return problems


def _strongly_connected(edges: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Tarjan's strongly connected components of the package graph."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, {})):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def _cycle_within(component: list[str], edges: dict[str, dict[str, Import]]) -> list[str]:
    """A shortest cycle through the component's first package (breadth first), start repeated at the end."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(edges.get(node, {})):
            if nxt == start:
                return paths[node] + [start]
            if nxt in members and nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    return component + [component[0]]


# --- the shop itself -----------------------------------------------------------------------------


def test_the_package_graph_keeps_its_shape():
    """No cycles, the floor imports no feature, imports point down, views stay home, stripe stays behind payments."""
    problems = violations(collect_imports())
    assert not problems, "\n".join(["imports that break the package graph:", *problems])


def test_every_package_has_its_place_in_the_graph():
    """A new package must be placed (floor, features in order, or assembly) before it can be checked."""
    units = {unit_of(module_name(ROOT, p)[0]) for p in ROOT.rglob("*.py")}
    unplaced = units - FLOOR - set(FEATURES) - FLOOR_ONLY_FEATURES - ASSEMBLY
    assert not unplaced, f"place these in tests/test_architecture.py: {sorted(unplaced)}"


def test_the_stripe_provider_is_found_importing_stripe():
    """The checker sees the one allowed stripe import (so it would see a forbidden one too)."""
    importers = {i.path for i in collect_imports() if i.target.split(".")[0] == "stripe"}
    assert importers == {f"{PACKAGE}/payments/stripe_provider.py"}


# --- the checker, on a synthetic tree with deliberately bad imports ---------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    """A fake `storefront` package under tmp_path with the given files (and every __init__.py)."""
    root = tmp_path / PACKAGE
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for directory in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        (directory / "__init__.py").touch()
    return root


def test_a_clean_tree_passes(tmp_path):
    root = _tree(
        tmp_path,
        {
            "core/events.py": "from ..db import Base\n",
            "db.py": "",
            "orders/service.py": "from ..core import events\nfrom . import rules\n",
            "orders/rules.py": "",
            "sellers/subscribers.py": "from ..orders.service import x\n",
            "payments/stripe_provider.py": "import stripe\n",
        },
    )
    assert violations(collect_imports(root)) == []


def test_a_cycle_is_named_with_its_imports(tmp_path):
    root = _tree(
        tmp_path,
        {
            "orders/service.py": "from ..sellers import service\n",
            "sellers/service.py": "def f():\n    from ..orders.models import Order\n",
            "orders/models.py": "",
        },
    )
    problems = violations(collect_imports(root))
    cycle = [p for p in problems if p.startswith("import cycle")]
    assert cycle == [
        "import cycle orders -> sellers -> orders: storefront/orders/service.py:1 -> storefront.sellers.service; "
        "storefront/sellers/service.py:2 -> storefront.orders.models"
    ]
    layered = "storefront/orders/service.py:1 -> storefront.sellers.service: orders must not import sellers"
    assert f"{layered}, which sits above it" in problems


def test_the_floor_importing_a_feature_fails(tmp_path):
    root = _tree(tmp_path, {"core/templating.py": "x = 1\n\nfrom ..orders.labels import STATUS_LABELS\n"})
    assert violations(collect_imports(root)) == [
        "storefront/core/templating.py:3 -> storefront.orders.labels: the floor (core) must not import orders"
    ]


def test_a_feature_importing_the_assembly_layer_fails(tmp_path):
    root = _tree(tmp_path, {"cart/service.py": "from .. import models\n", "models.py": ""})
    problem = "storefront/cart/service.py:1 -> storefront.models: a feature (cart) must not import the assembly layer"
    assert violations(collect_imports(root)) == [f"{problem} (models)"]


def test_a_view_importing_another_packages_views_fails(tmp_path):
    root = _tree(tmp_path, {"cart/views.py": "from ..catalog import views\n", "catalog/views.py": ""})
    assert violations(collect_imports(root)) == [
        "storefront/cart/views.py:1 -> storefront.catalog.views: a views module must not import another package's views"
    ]


def test_any_module_with_routes_counts_as_a_view(tmp_path):
    root = _tree(
        tmp_path,
        {
            "admin/stock.py": "from ..catalog.pages import render\n\n@bp.get('/stock')\ndef stock(): ...\n",
            "admin/views.py": "",
            "catalog/pages.py": "from flask import Blueprint\n\nbp = Blueprint('pages', __name__)\n",
        },
    )
    assert violations(collect_imports(root)) == [
        "storefront/admin/stock.py:1 -> storefront.catalog.pages: "
        "a views module must not import another package's views"
    ]


def test_stripe_outside_the_stripe_modules_fails(tmp_path):
    root = _tree(tmp_path, {"orders/service.py": "def pay():\n    import stripe.checkout\n"})
    assert violations(collect_imports(root)) == [
        "storefront/orders/service.py:2 -> stripe.checkout: only storefront/payments/stripe*.py may import stripe"
    ]


def test_absolute_imports_count_too(tmp_path):
    root = _tree(tmp_path, {"catalog/views.py": "import storefront.sellers.web\n", "sellers/web.py": ""})
    assert violations(collect_imports(root)) == [
        "storefront/catalog/views.py:1 -> storefront.sellers.web: catalog must not import sellers, which sits above it"
    ]
