"""The conformance suite as pytest modules: `pytest -p conformance.pytest_plugin --pyargs conformance.suite --base-url URL`."""
