# Stage 6: capture histories for R (secr, MARK, unmarked) and a Camtrap DP package.
rule capture:
    input:
        unpack(capture_inputs),
    output:
        captures=table(CAPTURES),
        capture_history=table(CAPTURE_HISTORY),
        effort=table(EFFORT),
        traps=table(TRAPS),
        occasions=table(OCCASIONS),
        camera_operation=table(CAMERA_OPERATION),
        excluded=table(EXCLUDED_CAPTURES),
        detection_history=table(DETECTION_HISTORY),
        estimate=result("capture/estimate.json"),
    log:
        result("logs/capture.log"),
    benchmark:
        result("benchmarks/capture.tsv")
    conda:
        "../envs/capture.yaml"
    params:
        settings=section("capture"),
    script:
        "../scripts/capture.py"


# secr trap files are one per session, so the folder is the output.
rule export_capture:
    input:
        captures=table(CAPTURES),
        capture_history=table(CAPTURE_HISTORY),
        effort=table(EFFORT),
        traps=table(TRAPS),
        detection_history=table(DETECTION_HISTORY),
    output:
        secr=directory(result("capture/secr")),
        mark=result("capture/mark.inp"),
        occupancy=directory(result("capture/occupancy")),
    log:
        result("logs/export_capture.log"),
    conda:
        "../envs/capture.yaml"
    params:
        settings=section("capture"),
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
            result("logs/camtrap_dp.log"),
        conda:
            "../envs/capture.yaml"
        params:
            settings=camtrap_dp_settings,
        script:
            "../scripts/camtrap_dp.py"
