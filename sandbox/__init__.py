"""Stateful emulators of the SaaS APIs the hub talks to, served on loopback.

Nothing here imports from `hub`, `connectors` or `jobs`: the emulators are the far side of
the HTTP boundary, used by the tests, the benchmarks and `hub serve --sandbox`.
"""
