#!/bin/sh
# Builds the Pion SCTP peer offline against Debian's Go packages (../shared/interop/pion.md: GOPATH mode).
# Usage: build.sh <source dir> <output binary>. Fails loudly when Go or the Pion packages are missing.
set -eu
src=$1
out=$2
work=$(dirname "$out")/pion_sctp_gopath
rm -rf "$work"
mkdir -p "$work/src/pionsctppeer" "$work/cache"
cp "$src/main.go" "$work/src/pionsctppeer/"
cd "$work/src/pionsctppeer"
GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH="$work:/usr/share/gocode" GOCACHE="$work/cache" \
  go build -o "$out" .
