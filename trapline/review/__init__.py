"""Review in the browser: the queues a person works and the folder they travel in.

Modules: ``queues`` (what to review, in which order), ``evidence`` (why two
identities may be one animal), ``folder`` (the self-contained page, its data and
images), ``stage`` (the review rule), ``app/`` (the page: HTML, JavaScript, CSS;
no framework, no network). The decisions the
page exports are read back by :mod:`trapline.identify.decisions`.
"""

from trapline.review.queues import ReviewSettings, build_queues
from trapline.review.stage import ReviewInputs, review_stage

__all__ = ["ReviewInputs", "ReviewSettings", "build_queues", "review_stage"]
