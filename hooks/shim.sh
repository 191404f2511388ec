#!/bin/sh
# gitml hook shim: written by `gitml install`, removed by `gitml uninstall`.
# It runs `gitml hook NAME ARGS...`, which also runs the hook this one replaced
# (kept beside it as NAME.gitml-saved). Outside a gitml repository, or where
# gitml cannot be found, only that replaced hook runs (if there is one).
hook=@HOOK@
python=@PYTHON@
case $0 in */*) here=$(CDPATH= cd -- "${0%/*}" && pwd) ;; *) here=$(pwd) ;; esac
GITML_HOOKS_DIR=$here
export GITML_HOOKS_DIR
if common=$(git rev-parse --git-common-dir 2>/dev/null) && [ -d "$common/gitml" ]; then
    if command -v gitml >/dev/null 2>&1; then
        exec gitml hook "$hook" "$@"
    fi
    if [ -x "$python" ]; then
        # The interpreter that ran `gitml install`; status 75: it cannot import gitml.
        "$python" -c 'import sys
try:
    from gitml.cli.main import main
except ImportError:
    sys.exit(75)
main(["hook", *sys.argv[1:]])' "$hook" "$@"
        status=$?
        [ "$status" -eq 75 ] || exit "$status"
    fi
fi
if [ -f "$here/$hook.gitml-saved" ] && [ -x "$here/$hook.gitml-saved" ]; then
    exec "$here/$hook.gitml-saved" "$@"
fi
exit 0
