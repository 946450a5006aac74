#!/bin/sh
# The screenshot tour at 1280x800 and 1920x1080 under Xvfb (see tour.py for the states).
# Usage: packaging/screenshots/tour.sh [OUT_DIR] [PYTHON]   (default: screenshots/, .venv/bin/python)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-screenshots}
python=${2:-.venv/bin/python}
status=0
for size in 1280x800 1920x1080; do
    echo "tour at $size"
    xvfb-run -a -s "-screen 0 ${size}x24" "$python" "$here/tour.py" "$out/$size" || status=1
done
exit $status
