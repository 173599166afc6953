"""The job settings are checked at start: out of range, the shop refuses to start and says why."""

from __future__ import annotations

import pytest

from storefront import create_app
from storefront.config import ConfigError
from tests.helpers import _test_config


@pytest.mark.parametrize(
    "setting, value",
    [("JOBS_ROLLUP_SECONDS", 0), ("JOBS_POLL_SECONDS", 0), ("JOBS_KEEP_DAYS", -1), ("JOBS_POLL_SECONDS", "1")],
)
def test_job_settings_out_of_range_refuse_to_start(tmp_path, setting, value):
    """A zero rollup interval would keep the worker on one periodic job, hold expiry starved."""
    with pytest.raises(ConfigError) as refused:
        create_app({**_test_config(), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shop.db'}", setting: value})
    assert setting in str(refused.value)
