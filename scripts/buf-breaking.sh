#!/usr/bin/env bash
# buf breaking against main, where the git history allows it. Picks the base to compare the
# working tree with:
#   BREAKING_AGAINST=<git ref>   that ref (e.g. a release tag), whatever the branch;
#   on a branch other than main  the point where it left main (git merge-base), so changes
#                                that landed on main meanwhile are not reported;
#   on main (CI checks main)     HEAD if proto/ has uncommitted changes; otherwise the parent
#                                of the latest commit that changed proto/ or buf.yaml, so the
#                                latest contract change is checked even when later commits
#                                did not touch the protos;
# and skips, saying why, when there is no git repository, no main branch, no earlier version
# of the protos, or the history is too shallow to reach it.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() { echo "buf breaking: skipped: $*"; exit 0; }

git rev-parse --is-inside-work-tree >/dev/null 2>&1 || skip "not a git work tree"
git rev-parse -q --verify "HEAD^{commit}" >/dev/null || skip "no commits yet"

main=""
for ref in refs/heads/main refs/remotes/origin/main; do
  if git rev-parse -q --verify "$ref^{commit}" >/dev/null; then main="$ref"; break; fi
done

has_protos() { git cat-file -e "$1:buf.yaml" 2>/dev/null && git cat-file -e "$1:proto" 2>/dev/null; }

if [[ -n "${BREAKING_AGAINST:-}" ]]; then
  base="$(git rev-parse -q --verify "$BREAKING_AGAINST^{commit}")" || {
    echo "buf breaking: BREAKING_AGAINST=$BREAKING_AGAINST is not a commit" >&2; exit 1; }
  why="BREAKING_AGAINST=$BREAKING_AGAINST"
else
  [[ -n "$main" ]] || skip "no main branch (neither refs/heads/main nor refs/remotes/origin/main)"
  head="$(git rev-parse HEAD)"
  fork="$(git merge-base HEAD "$main" 2>/dev/null)" || skip "HEAD shares no history with main (shallow clone?)"
  if [[ "$fork" != "$head" ]]; then
    # A branch off main (HEAD is not on main's line).
    base="$fork"
    label="${main#refs/heads/}"
    why="where HEAD left ${label#refs/remotes/}"
  elif [[ -n "$(git status --porcelain --untracked-files=all -- proto buf.yaml)" ]]; then
    base="$head"
    why="HEAD (uncommitted changes in proto/)"
  else
    last="$(git log -1 --format=%H -- proto buf.yaml)"
    [[ -n "$last" ]] || skip "no commit on main changes proto/"
    if [[ -z "$(git rev-parse -q --verify "$last^1^{commit}")" ]]; then
      if [[ -f "$(git rev-parse --git-dir)/shallow" ]]; then
        skip "the history is too shallow to see the commit before $(git rev-parse --short "$last")"
      fi
      skip "$(git rev-parse --short "$last"), the latest commit that changes proto/, has no parent"
    fi
    base="$(git rev-parse "$last^1")"
    why="the parent of $(git rev-parse --short "$last"), the latest commit that changes proto/"
  fi
fi

has_protos "$base" || skip "$(git rev-parse --short "$base") ($why) has no buf.yaml and proto/ to compare with"

echo "buf breaking: against $(git rev-parse --short "$base"), $why"
gitdir="$(git rev-parse --git-dir)"
if [[ -d "$gitdir" && "$gitdir" == ".git" ]]; then
  buf breaking --against ".git#ref=$base"
else
  # A linked worktree or submodule has no plain .git directory for buf to read; export the
  # base tree instead.
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  paths=()
  for p in buf.yaml proto third_party; do
    if git cat-file -e "$base:$p" 2>/dev/null; then paths+=("$p"); fi
  done
  git archive "$base" -- "${paths[@]}" | tar -x -C "$tmp"
  buf breaking --against "$tmp"
fi
