# Stage 6: capture histories for R (secr, MARK, unmarked) and a Camtrap DP package.
rule capture:
    input:
        unpack(capture_inputs),
    output:
        captures=result("capture/captures.parquet"),
        capture_history=result("capture/capture_history.parquet"),
        effort=result("capture/effort.parquet"),
        traps=result("capture/traps.parquet"),
        occasions=result("capture/occasions.parquet"),
        camera_operation=result("capture/camera_operation.parquet"),
        excluded=result("capture/excluded.parquet"),
        detection_history=result("capture/detection_history.parquet"),
        estimate=result("capture/estimate.json"),
    log:
        "logs/capture.log",
    benchmark:
        "benchmarks/capture.tsv"
    conda:
        "../envs/capture.yaml"
    params:
        timezone=lookup(dpath="timezone", within=config),
        stations_columns=lookup(dpath="stations_columns", within=config),
        date_format=lookup(dpath="stations_date_format", within=config),
        settings=lookup(dpath="capture", within=config),
    script:
        "../scripts/capture.py"


# secr trap files are one per session, so the folder is the output.
rule export_capture:
    input:
        captures=result("capture/captures.parquet"),
        capture_history=result("capture/capture_history.parquet"),
        effort=result("capture/effort.parquet"),
        traps=result("capture/traps.parquet"),
        detection_history=result("capture/detection_history.parquet"),
    output:
        secr=directory(result("capture/secr")),
        mark=result("capture/mark.inp"),
        occupancy=directory(result("capture/occupancy")),
    log:
        "logs/export_capture.log",
    conda:
        "../envs/capture.yaml"
    params:
        detector=lookup(dpath="capture/detector", within=config),
    script:
        "../scripts/export_capture.py"


if config["stations_crs"]:

    rule camtrap_dp:
        input:
            unpack(camtrap_dp_inputs),
        output:
            package=result("camtrap-dp/datapackage.json"),
            deployments=result("camtrap-dp/deployments.csv"),
            media=result("camtrap-dp/media.csv"),
            observations=result("camtrap-dp/observations.csv"),
        log:
            "logs/camtrap_dp.log",
        conda:
            "../envs/capture.yaml"
        params:
            crs=lookup(dpath="stations_crs", within=config),
            metadata=lookup(dpath="camtrap_dp", within=config),
            timezone=lookup(dpath="timezone", within=config),
            stations_columns=lookup(dpath="stations_columns", within=config),
            date_format=lookup(dpath="stations_date_format", within=config),
        script:
            "../scripts/camtrap_dp.py"
