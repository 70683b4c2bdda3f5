"""responses-conformance: a conformance suite for OpenAI-compatible Responses API endpoints."""

__version__ = "0.1.0"
