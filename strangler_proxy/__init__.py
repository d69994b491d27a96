"""The strangler proxy and the toolkit's command line.

Pure cores (routing decisions, diffing) sit beside thin adapters (engines, stores,
HTTP clients, the CLI). The CLI in :mod:`strangler_proxy.cli` is the composition root.
"""
