"""The mitmproxy engine: a mitmproxy addon over the same routing core and flag store.

``router`` decides and ``shadow`` pairs a shadowed request's answers for the comparison, both
without mitmproxy (tested in the main environment); ``addon`` is the thin mitmproxy adapter,
run from its own environment (``make mitm``, README "mitmproxy"), with ``options`` (its
options and what they open), ``errors`` (the proxy's error answers), ``attempt`` (a service's
attempt), ``copies`` (shadow copies) and ``identity`` (the phantom-token exchange): these and
``export`` import mitmproxy, nothing else here does.
"""
