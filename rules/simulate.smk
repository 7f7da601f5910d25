# The simulated season (demo and tests): images, stations table, truth, catalogue.
if "simulate" in config:

    rule simulate_season:
        output:
            stations=config["stations"],
            images=directory(config["images_root"]),
            truth=simulated("truth/files.parquet"),
            catalogue=directory(simulated("catalogue")),
        log:
            "logs/simulate_season.log",
        params:
            season=lookup(dpath="simulate/season", within=config),
            seed=lookup(dpath="simulate/seed", within=config),
            preset=lookup(dpath="simulate/preset", within=config),
        threads: 2
        conda:
            "../envs/simulate.yaml"
        script:
            "../scripts/simulate_season.py"
