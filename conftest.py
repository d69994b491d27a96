"""What pytest collects from the whole checkout (``--doctest-modules`` imports every module).

``strangler_proxy/mitm/addon.py`` and the modules it runs (``attempt.py``, ``copies.py``,
``errors.py``, ``identity.py``, ``options.py``), and ``export.py``, import mitmproxy, which is
installed only in .venv-mitm (``make mitm``): the mitmproxy tests run them there, under a real
mitmdump. They have no docstring examples, so leaving them out of this environment's
collection loses none.
"""

collect_ignore = [
    f"strangler_proxy/mitm/{name}.py"
    for name in ("addon", "attempt", "copies", "errors", "export", "identity", "options")
]
