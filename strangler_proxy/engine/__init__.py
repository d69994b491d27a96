"""The production data plane: an ASGI app served by its own HTTP/1.1 front (asyncio protocol
+ httptools, on uvloop) with a pooled HTTP/1.1 upstream client. ``server.run_engine(settings)``
is the entry point; ``strangler proxy run`` is its command line."""
