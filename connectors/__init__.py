"""Connectors: one package per SaaS the hub delivers to, behind the contract in ``base``.

``base`` holds the protocol the outbox dispatcher calls and the plain-data events it hands
over; ``errors`` holds the transient-versus-permanent hierarchy every connector raises.
``recording`` is a test and demo connector that records what it receives.
"""
