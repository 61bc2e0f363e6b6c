"""One log line per failing job while the same failure repeats, such as a database outage.

The first failure of a job is logged in full, with its traceback; while the job keeps failing
the same way a summary with the count follows every ``SUMMARY_SECONDS``; its next success says
it recovered. A worker in an outage thus logs a few lines per job, not two tracebacks per run.
"""

from __future__ import annotations

import logging

from hub.logs import RepeatedFailures

#: How often a failure that keeps repeating is summarised with its count.
SUMMARY_SECONDS = 30.0

failures = RepeatedFailures(
    logging.getLogger("hub.jobs"), subject="job", key_field="job", every=SUMMARY_SECONDS
)
