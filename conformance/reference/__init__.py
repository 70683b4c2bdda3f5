"""The embedded reference server: an ASGI app that answers like api.openai.com's Responses API, backed by a
deterministic context-echo model, with named faults and vendor profiles that reproduce known deviations.

Never imports the checks: the server must not know how it is judged.
"""

from conformance.reference.app import Settings, create_app
from conformance.reference.catalogue import UnknownName, faults_markdown, resolve_hooks
from conformance.reference.faults import FAULTS, Fault
from conformance.reference.profiles import PROFILES, Profile
from conformance.reference.request import MODEL_ID
from conformance.reference.server import ReferenceServer

__all__ = ["FAULTS", "MODEL_ID", "PROFILES", "Fault", "Profile", "ReferenceServer", "Settings", "UnknownName",
           "create_app", "faults_markdown", "resolve_hooks"]
