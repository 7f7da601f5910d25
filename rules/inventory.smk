# Stage 1: the season in shards; per shard JPEG checks + EXIF (cached per file);
# then one cheap global step places files in deployments and corrects clocks.
# Used only while the season does not exist yet when the workflow is parsed (a
# simulated season's first run); afterwards the plan is made at parse time. Defined
# always: a cluster job parses the workflow again, after the season exists, and
# must still know the rule it was submitted for.
checkpoint inventory_plan:
    input:
        unpack(season_inputs),
    output:
        result("shards/plan.txt"),
    log:
        "logs/inventory_plan.log",
    conda:
        "../envs/inventory.yaml"
    params:
        images_root=config["images_root"],
        layout=layout_pattern,
        max_images=lookup(dpath="shards/max_images", within=config),
    script:
        "../scripts/inventory_plan.py"


rule inventory_shard:
    input:
        manifest=result("shards/{shard}.tsv"),
    output:
        probes=update(result("inventory/probes/{shard}.parquet")),
    log:
        "logs/inventory_shard/{shard}.log",
    conda:
        "../envs/inventory.yaml"
    threads: 2
    params:
        images_root=config["images_root"],
    script:
        "../scripts/inventory_shard.py"


rule inventory:
    input:
        unpack(inventory_inputs),
    output:
        images=result("inventory/images.parquet"),
        quarantine=result("inventory/quarantine.parquet"),
    log:
        "logs/inventory.log",
    benchmark:
        "benchmarks/inventory.tsv"
    conda:
        "../envs/inventory.yaml"
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
