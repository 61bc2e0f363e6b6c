"""The outbox as the web layer and the CLI see it, without the worker that sends it.

- ``connectors``: the connector set built from configuration (each one on, or off with what to
  configure) and the names of the dispatch jobs that serve them;
- ``status``: what the outbox is doing (backlog, dead letters, runs, audit history);
- ``control``: what an admin may do to it (replay, pause, resume), each action audited.

One name for the machinery: the *outbox* (its rows, this package, the page at /admin/outbox,
the ``hub outbox`` commands); the outbox *dispatcher* (``jobs/dispatcher.py``, the job that
sends due rows to their connector) is its worker. ``jobs/`` builds on these; nothing here
imports ``jobs``.
"""
