"""The conformance suite as pytest modules: `pytest -p conformance.pytest_plugin --pyargs conformance.suite --rc-base-url URL`."""
