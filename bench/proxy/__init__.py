"""The proxy benchmark: ``python -m bench.proxy`` (see ``__main__``)."""
