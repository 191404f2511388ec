"""One module per verb: typed functions that take a Repo and return data."""
