"""The production data plane: an ASGI app under uvicorn (uvloop + httptools) with a pooled
HTTP/1.1 upstream client. ``server.run_engine(settings)`` is the entry point;
``strangler proxy run`` is its command line."""
