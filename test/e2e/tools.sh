#!/usr/bin/env bash
# Builds the real tools the end-to-end suite drives, from the package registries only:
#   - the Pulumi CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi, Go module proxy), at the version of the
#     @pulumi/pulumi SDK in package-lock.json;
#   - influxd 2.7.12 (github.com/influxdata/influxdb/v2/cmd/influxd, the version the Docker image is pinned to), with
#     libflux built by cargo from crates.io through the github.com/influxdata/pkg-config wrapper.
# Each tool goes into its own folder per version under the cache (default ~/.cache/flagsmith-influxdb-tools, or
# $FLAGSMITH_INFLUXDB_TOOLS), marked complete only when its build succeeded, so a re-run after an interruption builds
# only what is missing. Every step is logged to <cache>/<tool>/build.log. Prints `PULUMI_BIN=...` and `INFLUXD=...`.
#
# Usage: npm run e2e:tools [-- pulumi|influxd]   (default: both)
#
# The Node.js language host (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is not built: the Go
# module proxy refuses it ("403 This module version is not available"). The suite drives the program through the
# Automation API as an inline program instead (test/e2e/engine.ts), which needs no language host.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${FLAGSMITH_INFLUXDB_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/flagsmith-influxdb-tools}"
INFLUXD_VERSION="2.7.12"
PKG_CONFIG_VERSION="v0.2.7"

# The CLI follows the SDK the lock file installs, so the engine and the SDK speak the same protocol.
pulumi_version="$(node -e 'process.stdout.write(require(process.argv[1]).packages["node_modules/@pulumi/pulumi"].version)' "$root/package-lock.json")"

export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local

throwaway_module() { # throwaway_module DIR MODULE GO_VERSION PACKAGE REQUIREMENT...: a module that builds PACKAGE
    local dir="$1" module="$2" go_version="$3" package="$4"
    shift 4
    {
        printf 'module %s\n\ngo %s\n\nrequire (\n' "$module" "$go_version"
        printf '\t%s\n' "$@"
        printf ')\n'
    } >"$dir/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$package" >"$dir/tools.go"
}

step() { # step LOG DESCRIPTION COMMAND...: runs one step, its output appended to LOG, and says so on stdout
    local log="$1" what="$2"
    shift 2
    printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$what" | tee -a "$log"
    if ! "$@" >>"$log" 2>&1; then
        echo "FAILED: $what (command: $*); the last lines of $log:" >&2
        tail -n 30 "$log" >&2
        exit 1
    fi
}

begin_build() { # begin_build DIR WHAT: fails (1) when DIR holds a finished build, else prepares DIR and its log
    local dir="$1" what="$2"
    if [ -f "$dir/.complete" ]; then
        echo "$what: already built in $dir"
        return 1
    fi
    mkdir -p "$dir/bin" "$dir/src"
    echo "== $(date -u +%FT%TZ) building $what" >>"$dir/build.log"
}

build_pulumi() {
    local dir="$cache/pulumi-v$pulumi_version"
    begin_build "$dir" "pulumi v$pulumi_version" || return 0
    local log="$dir/build.log"
    # `go install pkg/v3/cmd/pulumi@v` is refused (pkg/go.mod has replace directives, neither of which is needed to
    # compile), so the CLI is built from a throwaway module that requires pkg/v3 and sdk/v3 at the same version.
    throwaway_module "$dir/src" flagsmith-influxdb/tools/pulumi 1.26 github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
        "github.com/pulumi/pulumi/pkg/v3 v$pulumi_version" "github.com/pulumi/pulumi/sdk/v3 v$pulumi_version"
    (
        cd "$dir/src"
        step "$log" "pulumi: resolve modules (go mod tidy)" go mod tidy
        step "$log" "pulumi: compile (go build, CGO_ENABLED=0)" go build -o "$dir/bin/pulumi" \
            -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$pulumi_version" \
            github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    )
    step "$log" "pulumi: check the version it reports" "$dir/bin/pulumi" version
    touch "$dir/.complete"
}

build_influxd() {
    local dir="$cache/influxd-v$INFLUXD_VERSION"
    begin_build "$dir" "influxd v$INFLUXD_VERSION" || return 0
    local log="$dir/build.log"
    # libflux (Rust) is built by the pkg-config wrapper when cgo asks for `flux`; it copies the read-only module into
    # $GOCACHE/pkgconfig and runs cargo there, so the Go build cache of this folder keeps it between runs.
    export GOCACHE="$dir/go-build"
    export CGO_ENABLED=1
    step "$log" "influxd: pkg-config wrapper $PKG_CONFIG_VERSION" env GOBIN="$dir/bin" \
        go install "github.com/influxdata/pkg-config@$PKG_CONFIG_VERSION"
    export PKG_CONFIG="$dir/bin/pkg-config"
    # Flux pins Rust 1.72 in rust-toolchain.toml (not to be had here) and denies warnings that newer compilers raise:
    # build with the stable toolchain and cap the workspace's lints at warn.
    export RUSTUP_TOOLCHAIN=stable
    cat >"$dir/bin/rustc-cap-lints" <<'EOF'
#!/bin/sh
exec "$@" --cap-lints=warn
EOF
    chmod +x "$dir/bin/rustc-cap-lints"
    export RUSTC_WORKSPACE_WRAPPER="$dir/bin/rustc-cap-lints"
    throwaway_module "$dir/src" flagsmith-influxdb/tools/influxd 1.23 github.com/influxdata/influxdb/v2/cmd/influxd \
        "github.com/influxdata/influxdb/v2 v$INFLUXD_VERSION"
    (
        cd "$dir/src"
        # influxdb's go.mod replaces nats-streaming-server; a requiring module does not inherit replace directives.
        step "$log" "influxd: copy the module's replace directives" sh -c \
            "go mod download -json github.com/influxdata/influxdb/v2@v$INFLUXD_VERSION >/dev/null && grep '^replace' \"\$(go env GOMODCACHE)/cache/download/github.com/influxdata/influxdb/v2/@v/v$INFLUXD_VERSION.mod\" >>go.mod"
        step "$log" "influxd: resolve modules (go mod tidy)" go mod tidy
        step "$log" "influxd: compile with libflux (cargo, then go build; the long step)" go build \
            -tags sqlite_foreign_keys,sqlite_json -o "$dir/bin/influxd" \
            -ldflags "-X main.version=$INFLUXD_VERSION" github.com/influxdata/influxdb/v2/cmd/influxd
    )
    step "$log" "influxd: check the version it reports" "$dir/bin/influxd" version
    touch "$dir/.complete"
}

mkdir -p "$cache"
what="${1:-all}"
case "$what" in
pulumi) build_pulumi ;;
influxd) build_influxd ;;
all)
    build_pulumi
    build_influxd
    ;;
*)
    echo "usage: $0 [pulumi|influxd]" >&2
    exit 2
    ;;
esac
echo "PULUMI_BIN=$cache/pulumi-v$pulumi_version/bin/pulumi"
echo "INFLUXD=$cache/influxd-v$INFLUXD_VERSION/bin/influxd"
echo "du: $(du -sh "$cache" | cut -f1) in $cache"
