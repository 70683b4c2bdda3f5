"""Live runs: targets, the recording client, scenarios and the `run` command."""
