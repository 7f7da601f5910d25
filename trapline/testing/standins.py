"""Architecture-true stand-in checkpoints, for tests and benchmarks without weights.

Real weights cannot be downloaded everywhere trapline is tested. A stand-in has the
real model's architecture with random weights, saved the way the real checkpoint
is saved, so it goes through the real loader and the real inference code; only its
answers are meaningless. Nothing here is used by the pipeline itself.
"""

from __future__ import annotations

from pathlib import Path

from trapline.inventory.jpeg import megadetector_imports

# YOLOv5 v6.0 P6 layout (ultralytics/yolov5 models/hub/yolov5x6.yaml), the
# architecture of MegaDetector v5. The P6 files bundled with ultralytics-yolov5
# 0.1.1 are the later v7.0 variants (C3x, DWConv), so the layout is written out.
_P6_BACKBONE = [
    [-1, 1, "Conv", [64, 6, 2, 2]],
    [-1, 1, "Conv", [128, 3, 2]],
    [-1, 3, "C3", [128]],
    [-1, 1, "Conv", [256, 3, 2]],
    [-1, 6, "C3", [256]],
    [-1, 1, "Conv", [512, 3, 2]],
    [-1, 9, "C3", [512]],
    [-1, 1, "Conv", [768, 3, 2]],
    [-1, 3, "C3", [768]],
    [-1, 1, "Conv", [1024, 3, 2]],
    [-1, 3, "C3", [1024]],
    [-1, 1, "SPPF", [1024, 5]],
]
_P6_HEAD = [
    [-1, 1, "Conv", [768, 1, 1]],
    [-1, 1, "nn.Upsample", [None, 2, "nearest"]],
    [[-1, 8], 1, "Concat", [1]],
    [-1, 3, "C3", [768, False]],
    [-1, 1, "Conv", [512, 1, 1]],
    [-1, 1, "nn.Upsample", [None, 2, "nearest"]],
    [[-1, 6], 1, "Concat", [1]],
    [-1, 3, "C3", [512, False]],
    [-1, 1, "Conv", [256, 1, 1]],
    [-1, 1, "nn.Upsample", [None, 2, "nearest"]],
    [[-1, 4], 1, "Concat", [1]],
    [-1, 3, "C3", [256, False]],
    [-1, 1, "Conv", [256, 3, 2]],
    [[-1, 20], 1, "Concat", [1]],
    [-1, 3, "C3", [512, False]],
    [-1, 1, "Conv", [512, 3, 2]],
    [[-1, 16], 1, "Concat", [1]],
    [-1, 3, "C3", [768, False]],
    [-1, 1, "Conv", [768, 3, 2]],
    [[-1, 12], 1, "Concat", [1]],
    [-1, 3, "C3", [1024, False]],
    [[23, 26, 29, 32], 1, "Detect", ["nc", "anchors"]],
]
_P6_ANCHORS = [
    [19, 27, 44, 40, 38, 94],
    [96, 68, 86, 152, 180, 137],
    [140, 301, 303, 264, 238, 542],
    [436, 615, 739, 380, 925, 792],
]
SIZES = {"x6": (1.33, 1.25), "s6": (0.33, 0.50), "n6": (0.33, 0.25)}
"""depth and width multiples: x6 is MegaDetector v5's size, n6 the fastest."""


def megadetector_standin(
    path: Path, size: str = "n6", seed: int = 0, batchnorm_stats: bool = False
) -> Path:
    """Save a random-weight YOLOv5 P6 detector with 3 classes as MDv5 is saved.

    The checkpoint is ``{'model': model.half()}`` pickled against the top-level
    ``models.yolo`` module, exactly what MegaDetector's loader expects.

    Args:
        batchnorm_stats: give every batch norm random scale, shift and running
            statistics, as training leaves them. A fresh batch norm is nearly the
            identity, so a test of how batch norms are folded into convolutions
            needs this to be able to fail.
    """
    import torch

    with megadetector_imports():
        import yolov5  # noqa: F401  (puts yolov5's folder on sys.path: models.yolo)
        from models.yolo import Model

    depth, width = SIZES[size]
    config = {
        "nc": 3,
        "depth_multiple": depth,
        "width_multiple": width,
        "anchors": _P6_ANCHORS,
        "backbone": _P6_BACKBONE,
        "head": _P6_HEAD,
    }
    torch.manual_seed(seed)
    model = Model(config, ch=3, nc=3).eval()
    if batchnorm_stats:
        _randomise_batchnorms(model)
    model.names = ["animal", "person", "vehicle"]
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.half(), "epoch": -1}, path)
    return path


def _randomise_batchnorms(model) -> None:
    """Scale, shift and running statistics within the ranges trained models show."""
    import torch

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                n = module.num_features
                module.weight.uniform_(0.8, 1.2)
                module.bias.normal_(0.0, 0.05)
                module.running_mean.copy_(torch.randn(n) * 0.05)
                module.running_var.copy_(torch.empty(n).uniform_(0.8, 1.25))


SPECIESNET_CLASSIFIER = "always_crop_99710272_22x8_v12_epoch_00148"
"""File stem of SpeciesNet v4's classifier, as its ``info.json`` names it."""


def speciesnet_standin(
    folder: Path,
    labels: list[str],
    geofence: dict | None = None,
    favour: int | None = None,
    seed: int = 0,
) -> Path:
    """A SpeciesNet v4 model folder with a random EfficientNetV2-M classifier.

    SpeciesNet's classifier is EfficientNet V2 M on 480×480 NHWC input in [0, 1],
    stored as a whole pickled ``torch.fx.GraphModule``; this writes the same kind
    of file (traced from torchvision's architecture) plus ``info.json``, the
    labels, taxonomy and geofence files SpeciesNet's loader reads.

    Args:
        labels: SpeciesNet label strings, ``uuid;class;order;family;genus;species;
            common name``, one per output.
        geofence: the geofence rules (``{"class;order;family;genus;species":
            {"allow": {"USA": []}}}``).
        favour: a label index whose logit gets a large bias, so the random network
            still answers predictably (for geofence tests).
    """
    import json

    import torch
    import torchvision

    class NHWC(torch.nn.Module):
        def __init__(self, net: torch.nn.Module) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x.permute(0, 3, 1, 2))

    torch.manual_seed(seed)
    net = torchvision.models.efficientnet_v2_m(weights=None, num_classes=len(labels))
    if favour is not None:
        with torch.no_grad():
            net.classifier[-1].bias[favour] = 50.0
    module = torch.fx.symbolic_trace(NHWC(net).eval())
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(module, folder / f"{SPECIESNET_CLASSIFIER}.pt")
    text = "\n".join(labels) + "\n"
    (folder / f"{SPECIESNET_CLASSIFIER}.labels.txt").write_text(text)
    (folder / "taxonomy_release.txt").write_text(text)
    (folder / "geofence_release.json").write_text(json.dumps(geofence or {}))
    info = {
        "version": "4.0.3a-standin",
        "type": "always_crop",
        "classifier": f"{SPECIESNET_CLASSIFIER}.pt",
        "classifier_labels": f"{SPECIESNET_CLASSIFIER}.labels.txt",
        "detector": "md_v5a.0.0.pt",
        "taxonomy": "taxonomy_release.txt",
        "geofence": "geofence_release.json",
    }
    (folder / "info.json").write_text(json.dumps(info, indent=1))
    return folder


def vit_standin(path: Path, model: str, image_size: int, seed: int = 0) -> Path:
    """A timm ViT with random weights saved as safetensors (the local-file path)."""
    import timm
    import torch
    from safetensors.torch import save_file

    torch.manual_seed(seed)
    net = timm.create_model(model, pretrained=False, num_classes=0, img_size=image_size)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, path)
    return path
