"""The conformance suite as pytest modules: `pytest --pyargs conformance.suite --base-url URL`."""
