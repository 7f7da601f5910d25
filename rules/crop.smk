# Stage 3: animal boxes cut from the full-resolution images.
rule crop:
    input:
        images=result("inventory/images.parquet"),
        detections=result("detections.parquet"),
        summary=result("detect/image_summary.parquet"),
    output:
        crops=result("crops.parquet"),
        folder=directory(result("crops")),
        quarantine=result("crop/quarantine.parquet"),
    log:
        "logs/crop.log",
    benchmark:
        "benchmarks/crop.tsv"
    conda:
        "../envs/inventory.yaml"
    threads: 2
    params:
        images_root=config["images_root"],
        results=results_folder,
        min_conf=lookup(dpath="crop/min_conf", within=config),
        padding=lookup(dpath="crop/padding", within=config),
        quality=lookup(dpath="crop/quality", within=config),
    script:
        "../scripts/crop.py"
