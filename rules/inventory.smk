# Stage 1: walk the season, read EXIF, correct clocks, quarantine bad files.
rule inventory:
    input:
        unpack(season_inputs),
    output:
        images=result("inventory/images.parquet"),
        quarantine=result("inventory/quarantine.parquet"),
    log:
        "logs/inventory.log",
    benchmark:
        "benchmarks/inventory.tsv"
    conda:
        "../envs/inventory.yaml"
    threads: 2
    params:
        images_root=config["images_root"],
        layout=layout_pattern,
        timezone=lookup(dpath="timezone", within=config),
        columns=lookup(dpath="stations_columns", within=config),
        date_format=lookup(dpath="stations_date_format", within=config),
    script:
        "../scripts/inventory.py"


# Every file in exactly one of images.parquet and quarantine.parquet.
rule account_images:
    input:
        inventory=result("inventory/images.parquet"),
        summary=result("detect/image_summary.parquet"),
        quarantines=stage_quarantines,
    output:
        images=result("images.parquet"),
        quarantine=result("quarantine.parquet"),
    log:
        "logs/account_images.log",
    conda:
        "../envs/inventory.yaml"
    script:
        "../scripts/account_images.py"
