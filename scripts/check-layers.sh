#!/usr/bin/env bash
# Keep the architecture of src/lib.rs: fail when
#   * a module outside src/app/ and src/config.rs names the command line (crate::cli), or
#   * any tracked file points at documents outside this repository (the sibling "shared" folder
#     of the workspace kdg was started in): facts the code relies on live in docs/.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
if hits=$(grep -rn --include='*.rs' -E 'crate::cli\b|super::cli\b' src | grep -v -E '^src/(app/|config\.rs|cli\.rs|lib\.rs)'); then
  printf 'only src/app/ and src/config.rs may use crate::cli:\n%s\n' "$hits" >&2
  status=1
fi
outside='\.\./'"shared"
if hits=$(git ls-files -z | xargs -0 grep -n -I -E "$outside|(kdg|peers|aesthetics|local-servers)\.md §" -- 2>/dev/null | grep -v '^scripts/check-layers\.sh:'); then
  printf 'these point outside the repository; cite docs/ instead:\n%s\n' "$hits" >&2
  status=1
fi
exit $status
