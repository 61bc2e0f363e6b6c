"""Background work: the outbox dispatcher, the scheduler, periodic jobs and their history.

- ``claims``: leases on outbox rows in SQL; ``dispatcher``: claim, deliver, record;
  ``retry``: the retry policy; ``wakeup``: LISTEN/NOTIFY or polling to start at once;
- ``spec``, ``registry``, ``runs``, ``guards``: what a job is, which jobs exist, how a run is
  recorded, and the once-per-period guard; ``worker``: the APScheduler process.

The connector set, the status queries and the admin actions live in ``hub.outbox``, so the
web layer reaches them without importing this package.
"""
