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
