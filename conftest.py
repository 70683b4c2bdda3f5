"""Root conftest: keeps pytest's rootdir at the repository and lets `pytest` find the suite's own tests."""
