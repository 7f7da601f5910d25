"""The season report: a page of plots a person reads before opening R.

Modules: one per plot family (``files``, ``operation``, ``stationmap``,
``activity``, ``individuals``, ``identification``, ``estimates``), ``figures``
(what the plots share: matplotlib without pyplot, one palette), ``page`` (the
HTML), ``stage`` (the report rule).
"""

from trapline.report.stage import (
    ReportInputs,
    ReportOutputs,
    ReportSettings,
    report_stage,
)

__all__ = ["ReportInputs", "ReportOutputs", "ReportSettings", "report_stage"]
