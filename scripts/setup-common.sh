# Shared set-up steps for scripts/test and scripts/serve: each installs only what is missing.
# Sourced, not run.

log() { printf '\033[1m== %s\033[0m\n' "$*"; }

ensure_rust_targets() {
    local have missing=()
    have=$(rustup target list --installed)
    for t in "$@"; do
        grep -qx "$t" <<<"$have" || missing+=("$t")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "rustup target add ${missing[*]}"
        rustup target add "${missing[@]}"
    fi
    rustup component list --installed | grep -q '^clippy' || rustup component add clippy
    rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
}

# ensure_apt PACKAGE... : installs Debian packages that are not installed yet.
ensure_apt() {
    local missing=()
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "apt-get install ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# ensure_venv: the project's Python environment in .venv with conformance/requirements.txt.
ensure_venv() {
    local stamp=.venv/.requirements
    if [ ! -x .venv/bin/python ]; then
        log "python3 -m venv .venv"
        python3 -m venv .venv
    fi
    if ! cmp -s conformance/requirements.txt "$stamp"; then
        log "pip install -r conformance/requirements.txt"
        .venv/bin/python -m pip install -q --disable-pip-version-check -r conformance/requirements.txt
        cp conformance/requirements.txt "$stamp"
    fi
}

# ensure_cargo_tool CRATE BINARY VERSION_PREFIX [cargo install args...]: installs CRATE from
# crates.io unless `BINARY --version` already reports VERSION_PREFIX.
ensure_cargo_tool() {
    local crate=$1 bin=$2 want=$3
    shift 3
    if command -v "$bin" >/dev/null 2>&1 && "$bin" --version 2>/dev/null | grep -q " $want"; then
        return
    fi
    log "cargo install $crate $* (a few minutes, once)"
    nice cargo install -q "$crate" "$@"
}

# The wasm-bindgen version in Cargo.lock: the CLI must match the library exactly.
wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

# ensure_npm_deps DIR: node and npm (Debian's), then `npm ci` in DIR when its lockfile changed.
ensure_npm_deps() {
    local dir=$1
    command -v npm >/dev/null 2>&1 || ensure_apt nodejs npm
    if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.stamp"; then
        log "npm ci in $dir"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
        cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.stamp"
    fi
}

# ensure_web_tools: what `trunk build` needs, none of it downloaded by Trunk itself: the wasm32
# target, the Cortex-M targets (web/firmware.sh builds the firmware templates the Export panel
# patches), trunk 0.21 (newer ones need a newer rustc), wasm-bindgen-cli at the Cargo.lock version
# (Trunk.toml pins the same), and npm binaryen's wasm-opt for release builds (web/wasm-opt.sh).
ensure_web_tools() {
    ensure_rust_targets wasm32-unknown-unknown thumbv7em-none-eabihf thumbv6m-none-eabi
    ensure_cargo_tool trunk trunk 0.21 --locked --version '~0.21'
    local wbg
    wbg=$(wasm_bindgen_version)
    ensure_cargo_tool wasm-bindgen-cli wasm-bindgen "$wbg" --version "$wbg"
    if ! grep -q "wasm_bindgen = \"$wbg\"" Trunk.toml; then
        echo "Trunk.toml pins a wasm-bindgen other than Cargo.lock's $wbg: update [tools]" >&2
        return 1
    fi
    ensure_npm_deps web/tests/browser
}
