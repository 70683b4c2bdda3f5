"""The embedded default target: the reference server on a free loopback port, for as long as a run lasts."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from conformance.live.target import Target


@contextlib.contextmanager
def start_embedded(opt: Any, config: Any = None) -> Iterator[Target]:
    """Start the reference server (with the options' faults/profile) and yield a Target for it."""
    from conformance.reference.server import ReferenceServer

    faults = list(getattr(opt, "rc_faults", None) or [])
    profile = getattr(opt, "rc_profile", None)
    # A 1 ms token delay, so a background response is still running when the cancel scenario cancels it.
    with ReferenceServer(faults=faults, profile=profile, token_delay=0.001) as srv:
        label = getattr(opt, "rc_name", None) or (
            "reference" + "".join(f"+{f}" for f in faults) + (f"@{profile}" if profile else ""))
        yield Target(
            name=label,
            base_url=srv.base_url,
            api_key=None,
            request_timeout_s=opt.rc_request_timeout,
            idle_timeout_s=opt.rc_idle_timeout,
            max_output_tokens=opt.rc_max_output_tokens,
            trials=opt.rc_trials,
            headers=dict(srv.required_headers),
        )
