# Reads trapline's text exports with base R only, the way secr, RMark and
# unmarked read them, and prints totals as key=value lines for the tests to
# compare with the Parquet tables. secr itself is not on CRAN-less test
# machines, so read_traps() below follows secr::read.traps' parsing of a text
# trap file (count.fields, read.table with the usage column as character, the
# fields before '/' as usage, after it as covariates).
#   Rscript tests/r/read_exports.R <results>/capture
args <- commandArgs(trailingOnly = TRUE)
capture <- args[1]
out <- function(key, value) cat(key, "=", format(value, scientific = FALSE), "\n", sep = "")

# secr: captures.txt (Session ID Occasion Detector), as read.capthist reads it
caps <- read.table(file.path(capture, "secr", "captures.txt"), colClasses = "character",
                   col.names = c("Session", "ID", "Occasion", "Detector"))
caps <- caps[caps$ID != "NONE", ]
out("secr_detections", nrow(caps))
out("secr_individuals", nrow(unique(caps[, c("Session", "ID")])))
out("secr_max_occasion", if (nrow(caps)) max(as.integer(caps$Occasion)) else 0)

read_traps <- function(file, binary.usage) {
  nfld <- count.fields(file)
  colcl <- if (min(nfld) == 3) c("character", NA, NA) else c("character", NA, NA, "character")
  temp <- read.table(file, row.names = 1, as.is = TRUE, colClasses = colcl)
  traps <- temp[, 1:2]
  names(traps) <- c("x", "y")
  rest <- apply(temp[, 3:ncol(temp), drop = FALSE], 1, paste, collapse = " ")
  split <- matrix(unlist(strsplit(rest, "/")), byrow = TRUE, nrow = length(rest))
  if (binary.usage) {
    used <- gsub(" ", "", split[, 1])
    if (any(nchar(used) != max(nchar(used)))) stop("usage fields of varying length")
    usage <- (matrix(unlist(strsplit(used, "")), byrow = TRUE, ncol = max(nchar(used))) > 0) * 1
  } else {
    usage <- as.matrix(read.table(textConnection(split[, 1])))
  }
  if (any(colSums(usage) == 0)) stop("an occasion with no detector used (secr refuses it)")
  list(traps = traps, usage = usage, covariates = ncol(split) > 1)
}
detector <- sub('.*detector = "([a-z]+)".*', "\\1",
                grep("detector =", readLines(file.path(capture, "secr", "captures.txt")),
                     value = TRUE)[1])
# the header's read.capthist call says whether usage is 0/1 or days
binary <- any(grepl("binary.usage = TRUE", readLines(file.path(capture, "secr", "captures.txt")),
                    fixed = TRUE))
trapfiles <- list.files(file.path(capture, "secr"), pattern = "^traps.*\\.txt$", full.names = TRUE)
usage_sum <- 0; n_traps <- 0; n_occ <- 0; detectors <- character(0)
for (f in trapfiles) {
  tr <- read_traps(f, binary.usage = binary)
  usage_sum <- usage_sum + sum(tr$usage)
  n_traps <- n_traps + nrow(tr$traps)
  n_occ <- n_occ + ncol(tr$usage)
  detectors <- c(detectors, rownames(tr$traps))
}
stopifnot(all(caps$Detector %in% detectors))
out("secr_detector", detector)
out("secr_traps", n_traps)
out("secr_occasions", n_occ)
out("secr_usage_sum", round(usage_sum, 4))

# MARK / RMark: /* id */ history frequencies;
inp <- readLines(file.path(capture, "mark.inp"))
rows <- grep(";\\s*$", inp, value = TRUE)
body <- trimws(sub(";\\s*$", "", gsub("/\\*.*?\\*/", "", rows, perl = TRUE)))
fields <- strsplit(body, "\\s+")
ch <- vapply(fields, `[`, "", 1)
freq <- vapply(fields, function(f) sum(as.numeric(f[-1])), 0)
out("mark_individuals", sum(freq))
out("mark_captures", sum(nchar(gsub("[^1]", "", ch))))
out("mark_occasions", if (length(ch)) max(nchar(ch)) else 0)

# unmarked: one wide CSV per species (site, y.1..y.K, effort.1..effort.K, covariates)
for (f in sort(list.files(file.path(capture, "occupancy"), pattern = "\\.csv$", full.names = TRUE))) {
  occ <- read.csv(f, check.names = FALSE)
  y <- as.matrix(occ[, grep("^y\\.[0-9]+$", names(occ))])
  effort <- as.matrix(occ[, grep("^effort\\.[0-9]+$", names(occ))])
  stopifnot(all(is.na(y) == (is.na(effort) | effort == 0)))
  key <- sub("\\.csv$", "", basename(f))
  out(paste0("occupancy_", key, "_sites"), nrow(occ))
  out(paste0("occupancy_", key, "_detections"), sum(y, na.rm = TRUE))
  out(paste0("occupancy_", key, "_na"), sum(is.na(y)))
}
