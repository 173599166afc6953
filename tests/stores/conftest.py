"""Store test fixtures: quick password hashing (these tests are not about hashing)."""

from tests.sellers.conftest import quick_password_hash  # noqa: F401
