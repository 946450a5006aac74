#!/usr/bin/env bash
# One GPU box: Ray on this machine, one engine replica per GPU, the app's port on 127.0.0.1
# (put a TLS reverse proxy in front to reach it from other machines: see README "Serving").
set -euo pipefail
pip install "t2ia-desktop[server]"               # Ray Serve comes with the server extra
export RAY_AUTH_MODE=token                        # Ray's own ports: token auth (Ray >= 2.52)
ray start --head --dashboard-host 127.0.0.1       # Ray's ports stay on this machine
t2ia-desktop serve --address auto --models /srv/models   # prints the token at its first run
