"""Click commands: parse, call one ops function, render. Thin."""
