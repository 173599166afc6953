"""The fact the job queue announces (see storefront.core.events for what a phase means).

JOB_FAILED, in the transaction that records it: a job used its last attempt and gave up (it shows
    on /admin/jobs until someone retries it), whether its handler raised or its worker stopped during
    the last attempt (its lease ran out: error is service.LEASE_LOST). Announced once per giving up.
    Payload: session, job_id, name, payload (the job's own), attempts, error (the stored excerpt), now.
    Subscribers: notify (alert the owner; a failed send marks its message failed in the send log).
"""

from __future__ import annotations

from ..core.events import Phase, declare

JOB_FAILED = declare("job-failed", Phase.IN_TRANSACTION)
