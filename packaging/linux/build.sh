#!/usr/bin/env bash
# Builds the Linux installers and smoke-tests the frozen app:
#   dist/t2ia-desktop-<version>-linux-x86_64.tar.gz   (unpack anywhere, run ./t2ia-desktop)
#   dist/t2ia-desktop_<version>_amd64.deb              (/opt/t2ia-desktop, menu entry, .t2ia)
# Usage: packaging/linux/build.sh [--allow-dirty] [--no-smoke-test]
# PYTHON (default .venv/bin/python) is the environment bundled, torch included: see README.
# T2IA_MIN_FREE_GB (default 20) is the free disk the build needs.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
HERE=packaging/linux
ALLOW_DIRTY=0
SMOKE=1
for arg in "$@"; do
    case $arg in
        --allow-dirty) ALLOW_DIRTY=1 ;;
        --no-smoke-test) SMOKE=0 ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    esac
done
fail() { echo "build.sh: error: $*" >&2; exit 1; }

if [[ -z ${PYTHON:-} ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi

# -- checks, before anything is written ------------------------------------------------------
"$PYTHON" -m PyInstaller --version >/dev/null 2>&1 ||
    fail "PyInstaller is not installed in $PYTHON; install it with: $PYTHON -m pip install -e '.[package]'"
command -v dpkg-deb >/dev/null ||
    fail "dpkg-deb is missing (needed for the .deb); install it with: sudo apt-get install dpkg-dev"
MIN_FREE_GB=${T2IA_MIN_FREE_GB:-20}
mkdir -p dist build
free_gb=$(( $(df -Pk dist | awk 'NR==2 {print $4}') / 1024 / 1024 ))
(( free_gb >= MIN_FREE_GB )) ||
    fail "only ${free_gb} GB free on the disk holding $ROOT/dist; the build needs ${MIN_FREE_GB} GB (the CUDA torch bundle is several GB, packed twice). Free some space and run it again."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    if [[ -n $(git status --porcelain) ]] && (( ! ALLOW_DIRTY )); then
        git status --short >&2
        fail "the git tree has uncommitted changes (above): commit them so the installer matches a commit, or pass --allow-dirty"
    fi
fi
VERSION=$("$PYTHON" -c "from importlib.metadata import version; print(version('t2ia-desktop'))") ||
    fail "t2ia-desktop is not installed in $PYTHON; run: $PYTHON -m pip install -e '.[package]'"
NAME=t2ia-desktop-$VERSION-linux-x86_64
STAGE=dist/linux/$NAME
echo "== building t2ia-desktop $VERSION with $("$PYTHON" -m PyInstaller --version) into $STAGE"

# -- the frozen app (one folder) -------------------------------------------------------------
started=$SECONDS
rm -rf dist/bundle "$STAGE"
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN --workpath build/pyinstaller \
    --distpath dist/bundle packaging/t2ia-desktop.spec
mkdir -p "$STAGE/icons"
mv dist/bundle/t2ia-desktop "$STAGE/app"
install -m 755 $HERE/launcher.sh "$STAGE/t2ia-desktop"
install -m 755 $HERE/install-menu-entry.sh "$STAGE/install-menu-entry.sh"
cp $HERE/t2ia-desktop.desktop $HERE/t2ia-desktop-mime.xml "$STAGE/"
cp resources/icons/t2ia-desktop-*.png "$STAGE/icons/"
echo "== PyInstaller took $(( SECONDS - started )) s"

if (( SMOKE )); then
    echo "== frozen smoke test"
    "$PYTHON" packaging/smoke_test.py "$STAGE/app/t2ia-desktop" --expect-version "$VERSION" \
        --json "dist/smoke-$NAME.json"
fi

# -- tar.gz ----------------------------------------------------------------------------------
echo "== packing dist/$NAME.tar.gz"
tar -C dist/linux -czf "dist/$NAME.tar.gz" "$NAME"

# -- .deb: /opt/t2ia-desktop, /usr/bin link, menu entry, icons, .t2ia MIME type --------------
DEB=dist/t2ia-desktop_${VERSION}_amd64.deb
ROOTFS=build/deb/t2ia-desktop
echo "== packing $DEB"
rm -rf build/deb
mkdir -p "$ROOTFS/DEBIAN" "$ROOTFS/opt" "$ROOTFS/usr/bin" "$ROOTFS/usr/share/applications" \
    "$ROOTFS/usr/share/mime/packages"
cp -al "$STAGE/app" "$ROOTFS/opt/t2ia-desktop"  # hard links: no second copy on disk
ln -s /opt/t2ia-desktop/t2ia-desktop "$ROOTFS/usr/bin/t2ia-desktop"
cp $HERE/t2ia-desktop.desktop "$ROOTFS/usr/share/applications/"
cp $HERE/t2ia-desktop-mime.xml "$ROOTFS/usr/share/mime/packages/t2ia-desktop.xml"
for png in resources/icons/t2ia-desktop-*.png; do
    size=$(basename "$png" .png); size=${size#t2ia-desktop-}
    mkdir -p "$ROOTFS/usr/share/icons/hicolor/${size}x${size}/apps"
    cp "$png" "$ROOTFS/usr/share/icons/hicolor/${size}x${size}/apps/t2ia-desktop.png"
done
cat > "$ROOTFS/DEBIAN/control" <<CONTROL
Package: t2ia-desktop
Version: $VERSION
Architecture: amd64
Maintainer: t2ia desktop developers <t2ia-desktop@users.noreply.github.com>
Installed-Size: $(du -sk "$ROOTFS" | cut -f1)
Depends: libc6 (>= 2.28), libgl1, libegl1, libfontconfig1, libxkbcommon0, libxkbcommon-x11-0, libxcb-cursor0, libdbus-1-3
Section: graphics
Priority: optional
Description: draw, then generate with Stable Diffusion guided by T2I-Adapters
 A painting app with layers whose sketches, edges, depth and poses guide Stable Diffusion XL
 and 1.5 through T2I-Adapters. Everything it needs is inside, torch included; models are
 downloaded when first chosen.
CONTROL
# The menu, MIME and icon caches are refreshed by dpkg triggers (desktop-file-utils,
# shared-mime-info, hicolor-icon-theme): no maintainer scripts needed.
dpkg-deb --root-owner-group -Zgzip --build "$ROOTFS" "$DEB"

echo "== sizes"
du -sh "$STAGE/app" "dist/$NAME.tar.gz" "$DEB"
echo "== done in $(( SECONDS - started )) s: dist/$NAME.tar.gz and $DEB"
