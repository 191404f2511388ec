"""Pure building blocks: no click, no printing, no exiting."""
