# Stage 3: animal boxes cut from the full-resolution images.
rule crop:
    input:
        images=result("inventory/images.parquet"),
        detections=result("detect/detections.parquet"),
        summary=result("detect/image_summary.parquet"),
    output:
        crops=result("crop/crops.parquet"),
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
        results=results_folder_of_crops,
        min_conf=lookup(dpath="crop/min_conf", within=config),
        padding=lookup(dpath="crop/padding", within=config),
        quality=lookup(dpath="crop/quality", within=config),
    script:
        "../scripts/crop.py"
