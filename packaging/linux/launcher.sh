#!/bin/sh
# Starts t2ia desktop from wherever this folder was unpacked.
here=$(dirname "$(readlink -f "$0")")
exec "$here/app/t2ia-desktop" "$@"
