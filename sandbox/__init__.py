"""Stateful emulators of the SaaS APIs the hub uses, served on loopback for tests and demos."""
