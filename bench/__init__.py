"""Benchmarks of the hub, each printing this project beside a baseline measured in the same run."""
