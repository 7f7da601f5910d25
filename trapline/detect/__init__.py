"""Stage 2, detection: MegaDetector boxes (or an imported MegaDetector file).

- ``model``: MegaDetector's real loader and pre/post-processing, a leaner loop.
- ``__main__``: ``python -m trapline.detect``, one shard (the detect_shard rule).
- ``shard``: a shard's detections, cached per image, saved as it goes.
- ``megadetector``: the batch-output JSON format, read (import) and written.
- ``boxes``: thresholds, empties, counts, sequences, privacy.
- ``stage``: the rules' entry points.
"""
