#!/usr/bin/env bash
# Builds the pinned test-time tools from Go modules into .tools/bin (gitignored):
#   pulumi, pulumi-language-python (+ -exec), pulumi-resource-pulumi-python,
#   pulumi-resource-kubernetes, kube-apiserver, kube-controller-manager, kube-scheduler,
#   etcd, kwok, kwokctl.
# Each target is one Go module under tools/ whose go.mod and go.sum are the pins. A target whose
# go.mod, go.sum, build flags and Go version did not change since its last build is skipped, so a
# second run builds nothing. tools/README.md says what is built from where, and why.
#
# usage: tools/build.sh [target...]      (default: all; e.g. tools/build.sh pulumi kubernetes)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=$root/tools
out=$root/.tools
bin=$out/bin
mkdir -p "$bin" "$out/stamps" "$out/build"

# The machine's own Go (1.26) builds every pin; a pin that needs newer Go would say so here.
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export CGO_ENABLED=0
export GOFLAGS="-mod=readonly -trimpath -buildvcs=false"

all_targets=(pulumi pulumi-language-python pulumi-resource-kubernetes kubernetes etcd kwok)

# The version a tools module pins for a dependency, e.g. `pinned pulumi github.com/pulumi/pulumi/pkg/v3`.
pinned() { (cd "$tools/$1" && go list -m -f '{{.Version}}' "$2"); }
# Where the module cache holds that dependency's files (read-only copies).
module_dir() { (cd "$tools/$1" && go mod download -json "$2" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p'); }

# A stamp names what a target was built from; equal stamp and present outputs: nothing to do.
stamp_of() {
  local target=$1 module; module=$(module_of "$1")
  { go version; cat "$tools/$module/go.mod" "$tools/$module/go.sum";
    sed -n "/^build_$(echo "$target" | tr - _)()/,/^}/p" "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16
}

build_pulumi() {
  local v; v=$(pinned pulumi github.com/pulumi/pulumi/pkg/v3)
  (cd "$tools/pulumi" && go build -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
    -o "$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

build_pulumi_language_python() {
  local v sdk; v=$(pinned pulumi-language-python github.com/pulumi/pulumi/sdk/v3)
  (cd "$tools/pulumi-language-python" && go build \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
    -o "$bin/pulumi-language-python" github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python)
  # The host runs the program through pulumi-language-python-exec found next to it, and the engine
  # starts dynamic providers with pulumi-resource-pulumi-python from PATH. Both are scripts of the
  # CLI's own release (the sdk/v3 the CLI is built with); the module cache drops their exec bit.
  sdk=$(module_dir pulumi github.com/pulumi/pulumi/sdk/v3)
  install -m755 "$sdk/python/cmd/pulumi-language-python-exec" "$bin/pulumi-language-python-exec"
  install -m755 "$sdk/python/dist/pulumi-resource-pulumi-python" "$bin/pulumi-resource-pulumi-python"
}

build_pulumi_resource_kubernetes() {
  local version=4.25.0 src work=$out/build/pulumi-kubernetes
  src=$(module_dir pulumi-kubernetes github.com/pulumi/pulumi-kubernetes/provider/v4)/cmd/pulumi-resource-kubernetes
  # main.go embeds schema-embed.json and terraform-mapping-embed.json, which upstream generates
  # and gitignores, so the module zip lacks them: build the package in a folder of our own.
  rm -rf "$work" && mkdir -p "$work"
  install -m644 "$tools/pulumi-kubernetes/go.mod" "$tools/pulumi-kubernetes/go.sum" "$work/"
  install -m644 "$src/main.go" "$src/generate.go" "$src/schema.json" "$src/terraform-mapping.json" "$work/"
  (cd "$work" && VERSION=$version go run generate.go && go build \
    -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=v$version" \
    -o "$bin/pulumi-resource-kubernetes" .)
}

build_kubernetes() {
  local v minor; v=$(pinned kubernetes k8s.io/kubernetes)
  minor=$(echo "$v" | cut -d. -f2)
  # Without these the servers report v0.0.0, which pulumi-kubernetes refuses as too old.
  local flags="-s -w" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  local cmd
  for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
    (cd "$tools/kubernetes" && go build -ldflags "$flags" -o "$bin/$cmd" "k8s.io/kubernetes/cmd/$cmd")
  done
}

build_etcd() {
  (cd "$tools/etcd" && go build -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
}

build_kwok() {
  # kwok's version is a constant in its sources (pkg/consts): no ldflag needed.
  local cmd src
  for cmd in kwok kwokctl; do
    (cd "$tools/kwok" && go build -ldflags "-s -w" -o "$bin/$cmd" "sigs.k8s.io/kwok/cmd/$cmd")
  done
  # kwok run by hand needs its stages in a config file (kwokctl writes the same ones): nodes
  # become Ready and keep a heartbeat (or the node controller evicts their pods); pods become
  # Running and Ready, Job pods complete, deleted pods go.
  src=$(module_dir kwok sigs.k8s.io/kwok)/kustomize/stage
  mkdir -p "$out/share"
  for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    cat "$src/$f"; echo "---"
  done > "$out/share/kwok-stages.yaml"
}

outputs_of() {
  case $1 in
    pulumi) echo pulumi ;;
    pulumi-language-python) echo pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python ;;
    pulumi-resource-kubernetes) echo pulumi-resource-kubernetes ;;
    kubernetes) echo kube-apiserver kube-controller-manager kube-scheduler ;;
    etcd) echo etcd ;;
    kwok) echo kwok kwokctl ../share/kwok-stages.yaml ;;
    *) echo "tools/build.sh: unknown target $1 (known: ${all_targets[*]})" >&2; return 2 ;;
  esac
}

module_of() { case $1 in pulumi-resource-kubernetes) echo pulumi-kubernetes ;; *) echo "$1" ;; esac; }

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
start_all=$SECONDS
n=0
for target in "${targets[@]}"; do
  n=$((n + 1))
  outputs=$(outputs_of "$target")
  stamp=$(stamp_of "$target")
  missing=""
  for o in $outputs; do [ -e "$bin/$o" ] || missing+=" $o"; done
  if [ -z "$missing" ] && [ "$(cat "$out/stamps/$target" 2>/dev/null)" = "$stamp" ]; then
    echo "[$n/${#targets[@]}] $target: up to date ($outputs)"
    continue
  fi
  echo "[$n/${#targets[@]}] $target: building ($outputs) ..."
  start=$SECONDS
  rm -f "$out/stamps/$target"
  "build_$(echo "$target" | tr - _)"
  echo "$stamp" > "$out/stamps/$target"
  echo "[$n/${#targets[@]}] $target: built in $((SECONDS - start))s"
done
echo "tools/build.sh: ${#targets[@]} target(s) ready in $bin after $((SECONDS - start_all))s"
