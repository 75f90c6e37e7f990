#!/bin/sh
# Installs what Hush needs on a fresh Debian bookworm machine and is quick when nothing is missing:
#   1. Debian packages (toolchains, libraries, Chromium),
#   2. libsodium built for Emscripten and for WASI from Debian's source package, cached in
#      .deps/libsodium-<version>/<target>/,
#   3. data sets extracted from Debian packages into data/ (never committed),
#   4. npm devDependencies (playwright-core, TensorFlow.js for the benchmark).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# The one place the libsodium version is written; the Makefile reads it from here.
SODIUM_VERSION=1.0.18
DEPS=$ROOT/.deps
SRC=$DEPS/src
export NODE_PATH=/usr/share/nodejs
export DEBIAN_FRONTEND=noninteractive

say() { printf 'bootstrap: %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

PKGS="build-essential clang lld llvm wasi-libc libclang-rt-14-dev-wasm32 libclang-rt-14-dev
emscripten node-acorn binaryen libsodium-dev libwebsockets-dev libsqlite3-dev pkg-config
chromium autoconf automake libtool dpkg-dev nodejs npm python3 python3-mpmath"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
# npm may come from NodeSource instead of Debian; any working npm will do.
case " $missing " in *" npm "*) command -v npm >/dev/null && missing=$(echo "$missing" | sed 's/ npm//');; esac
case " $missing " in *" nodejs "*) command -v node >/dev/null && missing=$(echo "$missing" | sed 's/ nodejs//');; esac
if [ -n "$missing" ]; then
    say "installing Debian packages:$missing"
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# ---- libsodium source (Debian's source package; add a deb-src entry when none exists) ----
sodium_src() {
    [ -d "$SRC/libsodium-$SODIUM_VERSION" ] && return 0
    mkdir -p "$SRC"
    if ! apt-get source --print-uris libsodium >/dev/null 2>&1 ||
       [ -z "$(apt-get source --print-uris libsodium 2>/dev/null | grep orig)" ]; then
        say "adding a deb-src entry for Debian's source packages"
        as_root sh -c 'cat > /etc/apt/sources.list.d/hush-deb-src.sources <<EOS
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS'
        as_root apt-get update -qq
    fi
    tmp=$(mktemp -d "$SRC/get.XXXXXX")
    (cd "$tmp" && apt-get source -qq --download-only libsodium >/dev/null 2>&1)
    tarball=$(ls "$tmp"/libsodium_"$SODIUM_VERSION"*.orig.tar.* | head -n 1)
    mkdir -p "$tmp/x" && tar -xf "$tarball" -C "$tmp/x"
    dir=$(ls -d "$tmp"/x/*/ | head -n 1)
    # The Debian orig tarball is a git export without generated files.
    (cd "$dir" && ./autogen.sh -s >/dev/null 2>&1)
    mv "$dir" "$SRC/libsodium-$SODIUM_VERSION"
    rm -rf "$tmp"
}

build_sodium() { # target configure-args...
    target=$1; shift
    prefix=$DEPS/libsodium-$SODIUM_VERSION/$target
    [ -f "$prefix/lib/libsodium.a" ] && return 0
    sodium_src
    say "building libsodium $SODIUM_VERSION for $target (a few minutes, cached afterwards)"
    b=$DEPS/build-sodium-$target
    rm -rf "$b" && cp -r "$SRC/libsodium-$SODIUM_VERSION" "$b"
    (cd "$b" && "$@" --prefix="$prefix" >"$b.log" 2>&1 && make -j"$(nproc)" >>"$b.log" 2>&1 &&
        make install >>"$b.log" 2>&1) || { tail -n 30 "$b.log"; say "libsodium build for $target failed"; exit 1; }
    rm -rf "$b" "$b.log"
}

COMMON="--disable-shared --without-pthreads --disable-ssp --disable-asm --enable-minimal"
build_sodium emscripten env CFLAGS="-O3" emconfigure ./configure --host=wasm32-unknown-emscripten $COMMON
build_sodium wasi env CC=clang AR=llvm-ar RANLIB=llvm-ranlib \
    CFLAGS="--target=wasm32-wasi --sysroot=/usr -O3 -D_WASI_EMULATED_SIGNAL -DED25519_NONDETERMINISTIC=1" \
    LDFLAGS="--target=wasm32-wasi" ./configure --host=wasm32-wasi $COMMON

# ---- data sets from Debian packages ----
data() { # package path-in-package dest
    [ -f "$ROOT/data/$3" ] && return 0
    dl=$DEPS/debs
    mkdir -p "$dl" "$ROOT/data/$(dirname "$3")"
    deb=$(ls "$dl"/"$1"_*.deb 2>/dev/null | head -n 1)
    if [ -z "$deb" ]; then
        (cd "$dl" && apt-get download -qq "$1" 2>/dev/null || { as_root apt-get update -qq && apt-get download -qq "$1"; })
        deb=$(ls "$dl"/"$1"_*.deb | head -n 1)
    fi
    x=$dl/x-$1
    [ -d "$x" ] || { mkdir -p "$x.tmp" && dpkg-deb -x "$deb" "$x.tmp" && mv "$x.tmp" "$x"; }
    case "$2" in
        *.gz) gzip -dc "$x/$2" > "$ROOT/data/$3.tmp" ;;
        *) cp "$x/$2" "$ROOT/data/$3.tmp" ;;
    esac
    mv "$ROOT/data/$3.tmp" "$ROOT/data/$3"
    say "data/$3"
}
data weka usr/share/doc/weka/examples/credit-g.arff credit-g.arff
SK=usr/lib/python3/dist-packages/sklearn/datasets/data
data python3-sklearn $SK/digits.csv.gz digits.csv
data python3-sklearn $SK/iris.csv iris.csv
FM=usr/share/datasets/fashion-mnist
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    data dataset-fashion-mnist $FM/$f.gz fashion/$f
done

# ---- npm devDependencies (never a browser download: Chromium is Debian's) ----
if [ ! -d node_modules/playwright-core ] || [ package.json -nt node_modules/.package-lock.json ]; then
    say "installing npm devDependencies"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error >/dev/null
fi
say "ready"
