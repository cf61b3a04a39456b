#!/usr/bin/env bash
# Validate the Kubernetes manifests under deploy/kubernetes/ against the API schemas, strictly
# (unknown fields are errors), for the oldest Kubernetes version we support on EKS and a current
# one. kubernetes-validate (PyPI, pinned) is installed into a venv under $KDG_SERVERS on first use.
# Custom resources (the PodMonitor example) have no bundled schema: they are reported, not failed.
set -euo pipefail
cd "$(dirname "$0")/.."
KDG_SERVERS=${KDG_SERVERS:-$HOME/.cache/kdg/servers}
venv="$KDG_SERVERS/validate-venv"
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'kubernetes-validate==1.37.0'
fi
for version in 1.31.0 1.37.0; do
  "$venv/bin/kubernetes-validate" --strict --quiet -k "$version" deploy/kubernetes/*.yaml
done
echo "manifests valid"
