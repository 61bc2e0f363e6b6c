"""The delivery engine as the web layer and the CLI see it, without the worker itself.

- ``connectors``: the connector set built from configuration (each one on, or off with what to
  configure) and the names of the dispatch jobs that serve them;
- ``status``: what the engine is doing (backlog, dead letters, runs, audit history);
- ``control``: what an admin may do to it (replay, pause, resume), each action audited.

``jobs/`` (the dispatcher and the scheduler) builds on these; nothing here imports ``jobs``.
"""
