"""Shared fixtures for the suite's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def recordings_dir() -> Path:
    d = SHARED / "recordings"
    if not (d / "openai").is_dir():
        pytest.skip(f"the shared recordings are not at {d} (they live beside the repository, in ../shared)")
    return d


# `pytest -m "not slow"` is the fast subset (under a minute). Tests are marked here, by module or by test name,
# rather than in each file: whole runs of the suite, every recording, a pip install, a browser, llama.cpp.
SLOW_MODULES = {
    "test_action.py", "test_kill_matrix.py", "test_replay.py", "test_run_command.py", "test_sdk_versions.py",
    "test_run_engine.py", "test_suite_modules.py",  # the run engine's whole runs (on main; 22 s of the subset)
}
SLOW_TESTS = {
    # each starts a reference server with a fault or profile and drives traffic through it
    "test_fault_changes_traffic", "test_profile_changes_traffic", "test_fault_is_caught",
    "test_every_scenario_runs_without_error", "test_instructions_leak_and_stateless_move_the_nonce",
    # every OpenAI recording, or a schema regeneration
    "test_every_openai_recording_validates_quickly", "test_no_drift", "test_each_relaxation_is_needed",
    "test_openai_recordings_give_no_fail_error_or_warn", "test_openai_recordings_parse_the_same_whole_and_split",
    "test_every_must_is_supported_none_fails_openai_traffic_and_the_table_is_current",
    "test_replayed_recordings_make_a_valid_report", "test_thirty_thousand_results_stay_usable",
    # a pip install into a fresh venv
    "test_install_is_cached_and_probed", "test_a_failed_install_raises_with_the_log",
    # a subprocess running the suite
    "test_the_suite_runs_as_plain_pytest_beside_pytest_base_url", "test_name_labels_the_target_in_the_report",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = getattr(item, "originalname", item.name)
        if (item.path.name in SLOW_MODULES or name in SLOW_TESTS
                or item.get_closest_marker("browser") or item.get_closest_marker("llamacpp")):
            item.add_marker(pytest.mark.slow)
