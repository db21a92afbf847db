#!/usr/bin/env bash
# Installs the Graphviz `dot` program (a system package, not a Python one) when it is missing.
# Debian/Ubuntu: apt-get; macOS: Homebrew. Windows: install from graphviz.org and put dot on PATH.
set -euo pipefail
if command -v dot >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
if command -v apt-get >/dev/null 2>&1; then
  echo "installing Graphviz (dot) with apt-get" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq graphviz >/dev/null
elif command -v brew >/dev/null 2>&1; then
  echo "installing Graphviz (dot) with Homebrew" >&2
  brew install graphviz
else
  echo "Graphviz's dot program is missing: install the 'graphviz' package of your system" \
       "(https://graphviz.org/download/) and put dot on PATH" >&2
  exit 1
fi
command -v dot >/dev/null
