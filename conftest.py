"""What pytest collects from the whole checkout (``--doctest-modules`` imports every module).

``strangler_proxy/mitm/addon.py`` and ``export.py`` import mitmproxy, which is installed only in .venv-mitm
(``make mitm``): the mitmproxy tests run it there, under a real mitmdump. It has no
docstring examples, so leaving it out of this environment's collection loses none.
"""

collect_ignore = ["strangler_proxy/mitm/addon.py", "strangler_proxy/mitm/export.py"]
