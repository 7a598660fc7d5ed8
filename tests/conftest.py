import os

# Property tests draw the same examples on every run, so CI is repeatable: a run that fails
# fails again. `HYPOTHESIS_PROFILE=explore` draws fresh (and more) examples each run to
# hunt for new failures (the fuzz soak, tests/soak.py, does the same at scale).
from hypothesis import settings

settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
