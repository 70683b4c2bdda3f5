"""Check modules. Every module in this package is imported by registry.all_checks()."""
