#!/bin/sh
# Adds t2ia desktop to your applications menu (for you only, no root), with its icon and
# .t2ia projects opening in it. Run it again after moving this folder.
set -eu
here=$(dirname "$(readlink -f "$0")")
data=${XDG_DATA_HOME:-$HOME/.local/share}
mkdir -p "$data/applications" "$data/mime/packages"
sed "s|^Exec=t2ia-desktop|Exec=\"$here/t2ia-desktop\"|" "$here/t2ia-desktop.desktop" \
    > "$data/applications/t2ia-desktop.desktop"
for png in "$here"/icons/t2ia-desktop-*.png; do
    size=$(basename "$png" .png | sed 's/t2ia-desktop-//')
    mkdir -p "$data/icons/hicolor/${size}x${size}/apps"
    cp "$png" "$data/icons/hicolor/${size}x${size}/apps/t2ia-desktop.png"
done
cp "$here/t2ia-desktop-mime.xml" "$data/mime/packages/t2ia-desktop.xml"
command -v update-mime-database >/dev/null && update-mime-database "$data/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
echo "t2ia desktop is in your applications menu; .t2ia projects open in it."
