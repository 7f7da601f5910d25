"""The backbone: a timm model found on this machine, hashed, loaded when first used.

Weights are never downloaded during a run (compute nodes often have no
internet). They come from a file (config ``embed.weights``, read through timm's
own ``pretrained_cfg_overlay=dict(file=...)`` path) or from the Hugging Face hub
cache, read with ``local_files_only`` (``HF_HUB_OFFLINE`` semantics); the cache
is filled once on a login node by :func:`fetch_backbone` (``snakemake
fetch_models``).
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from trapline.embed.images import EmbedError, ImageRef, ModelInputs
from trapline.malloc import keep_freed_memory
from trapline.weights import WeightsError

if TYPE_CHECKING:
    import torch

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
"""Weight files of a hub repository, in the order timm itself prefers them."""


@dataclass(frozen=True)
class EmbedSettings:
    """Config ``embed``.

    Args:
        model: timm model name (``vit_large_patch14_reg4_dinov2.lvd142m``) or
            ``hf-hub:<org>/<repo>``.
        weights: a weights file (``.safetensors`` or a torch state dict); None reads
            the Hugging Face hub cache that ``fetch_models`` fills.
        image_size: side of the model's square input; None keeps the model's own
            (518 px for DINOv2, which costs about 6× the time of 224 px).
        batch_size: images per forward pass.
        threads: CPU threads for inference (the job's cores).
        device: ``cuda``/``cpu``; None picks the GPU when there is one.
        decode_workers: processes decoding images beside inference; None picks
            ``threads`` on a GPU and none on a CPU, where decoding a crop costs a
            few milliseconds against a fraction of a second of inference and a
            spawned worker costs seconds of start-up.
    """

    model: str = "vit_large_patch14_reg4_dinov2.lvd142m"
    weights: Path | None = None
    image_size: int | None = None
    batch_size: int = 32
    threads: int = 1
    device: str | None = None
    decode_workers: int | None = None


@dataclass(frozen=True)
class _HubSource:
    """Where a model name's weights live on the Hugging Face hub."""

    repo: str | None
    revision: str | None
    files: tuple[str, ...]
    """Candidate weight files, first found wins."""
    is_hub_name: bool
    """An ``hf-hub:`` name, whose architecture comes from the repo's config.json."""


def _hub_source(name: str) -> _HubSource:
    """The hub repository (None if timm knows none) behind a model name.

    Raises:
        EmbedError: timm does not know the name (with close matches).
    """
    import timm

    if name.startswith("hf-hub:"):
        repo, _, revision = name.removeprefix("hf-hub:").partition("@")
        return _HubSource(repo, revision or None, WEIGHT_FILES, True)
    cfg = timm.models.get_pretrained_cfg(name) if timm.is_model(name) else None
    if cfg is None:
        close = difflib.get_close_matches(name, timm.list_pretrained(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise EmbedError(
            f"config key 'embed.model' = {name!r} is not a timm model with pretrained "
            f"weights (see timm.list_pretrained()) nor an hf-hub:<org>/<repo> name"
            f"{hint}"
        )
    files = (cfg.hf_hub_filename,) if cfg.hf_hub_filename else WEIGHT_FILES
    return _HubSource(cfg.hf_hub_id, None, files, False)


def _from_hub_cache(repo: str, revision: str | None, files: tuple[str, ...]) -> Path:
    """The first of ``files`` in the local hub cache; never a network request."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    for filename in files:
        try:
            found = hf_hub_download(
                repo, filename, revision=revision, local_files_only=True
            )
            return Path(found)
        except LocalEntryNotFoundError:
            continue
    raise FileNotFoundError(f"{repo}: none of {', '.join(files)} in the hub cache")


def _missing_weights(name: str, detail: str) -> WeightsError:
    return WeightsError(
        f"no weights for backbone {name!r} on this machine ({detail}). Fetch them "
        "once where there is internet: `snakemake --cores 1 fetch_models "
        "--configfile <your config>` (fills the Hugging Face cache, ~/.cache/"
        "huggingface or $HF_HOME), or download a weights file yourself and set "
        "config 'embed.weights'"
    )


def fetch_backbone(name: str) -> None:
    """Download the backbone's config and weights into the hub cache (login node)."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    hub = _hub_source(name)
    repo, revision = hub.repo, hub.revision
    if repo is None:
        raise WeightsError(
            f"timm knows no hub repository for {name!r}: download its weights "
            "yourself and set config 'embed.weights'"
        )
    if hub.is_hub_name:
        hf_hub_download(repo, "config.json", revision=revision)
    for filename in hub.files:
        try:
            hf_hub_download(repo, filename, revision=revision)
            return
        except EntryNotFoundError:
            continue
    raise WeightsError(f"{repo} on the Hugging Face hub has none of {hub.files}")


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in chunks (weights files are a few GB)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 24):
            digest.update(chunk)
    return digest.hexdigest()


class Embedder:
    """A timm backbone as an embedding function: images → unit vectors.

    The weights are found and hashed when it is made, so a missing model fails
    before any work; the model itself loads on first use, so a run whose images
    are all in the store never pays for loading a 300 M-parameter network.
    """

    def __init__(self, settings: EmbedSettings) -> None:
        self.settings = settings
        hub = _hub_source(settings.model)
        self._create_name = settings.model
        if hub.is_hub_name:
            try:
                config = _from_hub_cache(hub.repo, hub.revision, ("config.json",))
            except FileNotFoundError as err:
                raise _missing_weights(settings.model, str(err)) from err
            # timm reads a cached snapshot folder as a "local-dir" model, no hub call.
            self._create_name = f"local-dir:{config.parent}"
        if settings.weights is not None:
            if not Path(settings.weights).is_file():
                raise _missing_weights(
                    settings.model, f"config 'embed.weights' = {settings.weights}"
                )
            self.weights = Path(settings.weights)
        elif hub.repo is None:
            raise _missing_weights(settings.model, "timm knows no hub repository")
        else:
            try:
                self.weights = _from_hub_cache(hub.repo, hub.revision, hub.files)
            except FileNotFoundError as err:
                raise _missing_weights(settings.model, str(err)) from err
        digest = file_digest(self.weights)[:16]
        size = f"@{settings.image_size}px" if settings.image_size else ""
        # What the vectors depend on: name, weights content and input size.
        self.model_id = f"{settings.model}@sha256:{digest}{size}"

    @cached_property
    def model(self) -> torch.nn.Module:
        """The timm model, in eval mode on its device (loaded on first use)."""
        import timm
        import torch

        s = self.settings
        torch.set_num_threads(max(1, s.threads))
        if not self.device.startswith("cuda"):
            keep_freed_memory()
        kwargs: dict[str, Any] = {"img_size": s.image_size} if s.image_size else {}
        overlay = {"file": str(self.weights), "source": "timm"}
        model = timm.create_model(
            self._create_name,
            pretrained=True,
            pretrained_cfg_overlay=overlay,
            num_classes=0,
            **kwargs,
        )
        return model.eval().to(self.device)

    @cached_property
    def device(self) -> str:
        import torch

        return self.settings.device or ("cuda" if torch.cuda.is_available() else "cpu")

    @cached_property
    def data_config(self) -> dict[str, Any]:
        """The model's own input size, mean, std and interpolation."""
        import timm

        config = timm.data.resolve_model_data_config(self.model)
        size = self.settings.image_size
        if size:
            # timm keeps the checkpoint's size in the config; the model runs at ours.
            config["input_size"] = (3, size, size)
        return config

    @property
    def dim(self) -> int:
        return self.model.num_features

    def __call__(self, images: list[ImageRef]) -> np.ndarray:
        """Embed images (or boxes within images), in order.

        Returns:
            float32 array (len(images), dim), each row of unit length.
        """
        import torch
        from torch.utils.data import DataLoader

        s = self.settings
        on_gpu = self.device.startswith("cuda")
        workers = s.decode_workers
        if workers is None:
            workers = s.threads if on_gpu else 0
        loader = DataLoader(
            ModelInputs(list(images), self.data_config),
            batch_size=s.batch_size,
            num_workers=workers,
            pin_memory=on_gpu,
            multiprocessing_context="spawn" if workers else None,
        )
        out = np.empty((len(images), self.dim), np.float32)
        done = 0
        bar = tqdm(total=len(images), desc="embed", unit="img", mininterval=10)
        # No flips anywhere: left and right flanks are different patterns.
        with torch.inference_mode(), bar:
            for batch in loader:
                batch = batch.to(self.device, non_blocking=True)
                with torch.autocast("cuda", torch.bfloat16, enabled=on_gpu):
                    features = self.model(batch)
                vectors = torch.nn.functional.normalize(features.float(), dim=1)
                out[done : done + len(batch)] = vectors.cpu().numpy()
                done += len(batch)
                bar.update(len(batch))
        return out
