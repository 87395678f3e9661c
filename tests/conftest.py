"""Shared test configuration.

Hypothesis draws the same examples on every run (``derandomize``): a property that fails
fails every time, on every machine, instead of landing or not by luck. To explore new
examples locally, run ``pytest --hypothesis-profile explore``.
"""

from hypothesis import settings

settings.register_profile("default", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile("default")
