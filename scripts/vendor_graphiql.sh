#!/usr/bin/env bash
# Vendor GraphiQL's browser build into hub/http/static/graphiql/, so that GraphiQL at GET /graphql
# loads nothing from outside hub: `npm pack` the pinned packages from the npm registry into a
# temporary directory, check every file against the sha256 recorded here, then copy the files.
# Nothing is copied unless every sum matches. Needs npm, tar and sha256sum.
#
# To move a pin: change the version and the sums below together, run the script, update
# LICENSES beside the files (the packages' own licence texts, whose sums are checked here, and
# the notices of what graphiql.min.js bundles and graphiql.min.css embeds), and bump the
# versions in hub/http/graphiql.py's docstring.
set -euo pipefail

dest="$(cd "$(dirname "$0")/.." && pwd)/hub/http/static/graphiql"

# package@version, file in its tarball, name in $dest, sha256
files="
react@18.3.1 package/umd/react.production.min.js react.production.min.js d949f1c3687aedadcedac85261865f29b17cd273997e7f6b2bfc53b2f9d4c4dd
react-dom@18.3.1 package/umd/react-dom.production.min.js react-dom.production.min.js 35f4f974f4b2bcd44da73963347f8952e341f83909e4498227d4e26b98f66f0d
graphiql@3.9.0 package/graphiql.min.js graphiql.min.js a330a2be1d2389486840a9d0a834767d9083a23f105879e0de54e4fce83d3513
graphiql@3.9.0 package/graphiql.min.css graphiql.min.css bdddd50aac5bdb0edd83e5c862ba2fed9db2964e4c75d4655ab62b0a7d5bd730
react@18.3.1 package/LICENSE - 52412d7bc7ce4157ea628bbaacb8829e0a9cb3c58f57f99176126bc8cf2bfc85
react-dom@18.3.1 package/LICENSE - 52412d7bc7ce4157ea628bbaacb8829e0a9cb3c58f57f99176126bc8cf2bfc85
graphiql@3.9.0 package/LICENSE - 4b18fbe55c4e8f9169cb702be138f4d858a2dad920c39857204ffdc9c1c9fdc4
"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for spec in $(awk 'NF { print $1 }' <<<"$files" | sort -u); do
  mkdir "$work/$spec"
  (cd "$work/$spec" && npm pack --silent "$spec" >/dev/null && tar -xzf ./*.tgz)
done

while read -r spec path _name sum; do
  [ -n "$spec" ] || continue
  if ! echo "$sum  $work/$spec/$path" | sha256sum --check --quiet --strict - >/dev/null 2>&1; then
    echo "vendor_graphiql: $spec $path does not match its recorded sha256" >&2
    exit 1
  fi
done <<<"$files"

mkdir -p "$dest"
while read -r spec path name _sum; do
  [ -n "$spec" ] && [ "$name" != - ] || continue
  install -m 0644 "$work/$spec/$path" "$dest/$name"
  echo "$spec $path -> $dest/$name ($(wc -c <"$dest/$name") bytes)"
done <<<"$files"
