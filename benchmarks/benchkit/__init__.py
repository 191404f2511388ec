"""The benchmark harness behind ``make bench``: gitml against DVC on the same data."""
