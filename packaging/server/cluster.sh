#!/usr/bin/env bash
# Several boxes: one head, any number of GPU workers on a private network. Ray's ports (6379,
# 8265, 10001, the worker ports) must not be reachable from outside that network.
# Every box needs the same t2ia-desktop[server] version and the same RAY_AUTH_TOKEN.
set -euo pipefail
role=${1:?usage: cluster.sh head | worker HEAD_IP}
export RAY_AUTH_MODE=token
export RAY_AUTH_TOKEN=${RAY_AUTH_TOKEN:?set the cluster token (e.g. openssl rand -hex 32)}
# Models: the hub cache on each box (downloaded once per box), or one shared folder:
export HF_HOME=${HF_HOME:-/mnt/shared/hf-cache}
if [ "$role" = head ]; then
  ray start --head --num-gpus 0 --dashboard-host 127.0.0.1   # the head runs no replica
  # a replica per GPU of the cluster; or --min-replicas 1 --max-replicas 8 to autoscale
  t2ia-desktop serve --address auto --host 0.0.0.0 --models /mnt/shared/models
else
  ray start --address "${2:?HEAD_IP}:6379"                   # its GPUs join the cluster
fi
