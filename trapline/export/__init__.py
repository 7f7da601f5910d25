"""Exports of the capture tables for other software: secr and MARK text inputs,
unmarked occupancy CSVs, and a Camera Trap Data Package (Camtrap DP 1.0.2)."""

from trapline.export.camtrapdp import PackageMetadata, write_camtrap_dp
from trapline.export.mark import write_mark
from trapline.export.occupancy import write_occupancy
from trapline.export.secr import write_secr
from trapline.export.stage import (
    CamtrapDpInputs,
    ExportInputs,
    ExportOutputs,
    camtrap_dp_stage,
    export_stage,
)

__all__ = [
    "CamtrapDpInputs",
    "ExportInputs",
    "ExportOutputs",
    "PackageMetadata",
    "camtrap_dp_stage",
    "export_stage",
    "write_camtrap_dp",
    "write_mark",
    "write_occupancy",
    "write_secr",
]
