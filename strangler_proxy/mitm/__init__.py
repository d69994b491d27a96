"""The mitmproxy engine: a mitmproxy addon over the same routing core and flag store.

``router`` decides without mitmproxy (tested in the main environment); ``addon`` is the
thin mitmproxy adapter, run from its own environment (``make mitm``, README "mitmproxy").
Nothing here imports mitmproxy except ``addon``.
"""
