"""``strangler traffic``: seeded, realistic shop users played against any base URL.

``pages`` and ``plan`` decide what the users request (pure), ``pacing`` when (open loop),
``stats`` sums it up (pure); ``runner`` sends it with httpx and ``view`` draws it with rich.
"""
