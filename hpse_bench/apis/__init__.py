"""The top floor: what the command-line tools and the study call to start
runs (:mod:`.launch`)."""
