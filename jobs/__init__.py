"""Background work: the outbox dispatcher, the scheduler, periodic jobs and their history.

- ``claims``: leases on outbox rows in SQL; ``dispatcher``: claim, deliver, record;
  ``retry``: the retry policy; ``wakeup``: LISTEN/NOTIFY or polling to start at once;
- ``spec``, ``registry``, ``runs``, ``guards``: what a job is, which jobs exist, how a run is
  recorded, and the once-per-period guard; ``worker``: the APScheduler process;
- ``connectors``: connectors built from configuration; ``status`` and ``control``: what the
  admin page and the CLI show and do (backlog, dead letters, replay, pause).
"""
