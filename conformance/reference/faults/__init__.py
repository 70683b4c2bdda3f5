"""Named faults: small deviations from OpenAI's behaviour the reference server can be told to reproduce.

A check that no fault can make fail proves nothing; the kill matrix runs the suite once per fault to show which
checks catch it. Each module of this package holds the faults of one scenario family (or, for vendor profiles,
the deviations one project is known for) as `FAULTS: list[Fault]`; to add a family's faults, add its module
here.
"""

from __future__ import annotations

from conformance.reference.faults import legacy
from conformance.reference.faults.base import Fault

_MODULES = (legacy,)

FAULTS: dict[str, Fault] = {}
for _module in _MODULES:
    for _f in _module.FAULTS:
        if _f.name in FAULTS:
            raise ValueError(f"duplicate fault name {_f.name!r}")
        FAULTS[_f.name] = _f

__all__ = ["FAULTS", "Fault"]
