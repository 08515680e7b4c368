#!/usr/bin/env bash
# Every C and C++ source follows the root .clang-format.
set -euo pipefail
cd "$1"
git ls-files -- 'host/*' 'sdk/*' 'tests/*' 'bench/*' 'plugins/*' | grep -E '\.(c|h|cpp|hpp)$' |
  xargs clang-format --dry-run -Werror
echo "all sources formatted"
