"""Loads the suite's pytest plugin for these modules only (it is deliberately not a pytest11 entry point)."""

pytest_plugins = ["conformance.pytest_plugin"]
