#!/bin/bash
# deps.sh - install the Debian packages smtpdx needs, only those missing.
#
#   bash scripts/deps.sh          build dependencies
#   bash scripts/deps.sh --test   build and test dependencies
#
# apt-get update runs only when the package lists are absent or an install
# fails for lack of them. Postfix is installed without configuration and
# no service is started while packages install (policy-rc.d), so neither
# Postfix nor postgrey is left running as a system service: the tests run
# their own private instances on 127.0.0.1. Exim cannot be installed beside
# Postfix: its fixture unpacks the packages itself and only needs libidn12.
set -euo pipefail

build_pkgs=(cmake gcc make pkg-config libhyperscan-dev libcmocka-dev
            zlib1g-dev liblzma-dev libzstd-dev libbz2-dev libgmime-3.0-dev
            libjson-c-dev libssl-dev bolt-16)
# (bolt-16: LLVM's post-link optimiser, which lays out the command's code
# by its profile; a build without it works, about 6% slower)
# (libclang-rt-14-dev: clang's libFuzzer and sanitizer runtimes, only
# recommended by Debian 12's clang, so --no-install-recommends skips it)
test_pkgs=(jq postfix postgrey swaks libsisimai-perl pflogsumm python3 clang time
           libidn12 libclang-rt-14-dev libxml2-dev dnsmasq-base iproute2
           postfix-policyd-spf-python openssl opendmarc dbconfig-no-thanks
           systemd bsdutils xz-utils zstd bzip2 python3-jsonschema
           python3-flufl.bounce)
# (systemd: its journald and journalctl, run by the journal test in a
# namespace of its own; a container image may lack them. bsdutils: logger)
# (dbconfig-no-thanks answers opendmarc's need of a database set-up tool
# without pulling in MySQL's, which apt would choose first)

want=("${build_pkgs[@]}")
case "${1:-}" in
    --test) want+=("${test_pkgs[@]}") ;;
    "") ;;
    *) echo "usage: bash scripts/deps.sh [--test]" >&2; exit 2 ;;
esac

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for p in "${want[@]}"; do
    installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#want[@]} packages present"
    exit 0
fi
echo "deps: installing ${missing[*]}"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps: run as root (or install sudo)" >&2; exit 1; }
    SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive

# Keep services from starting during the install (Debian's policy-rc.d
# convention); only a file of our own making is removed afterwards.
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
fi
cleanup() {
    if [ "$made_policy" -eq 1 ]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT

for p in "${missing[@]}"; do
    if [ "$p" = postfix ]; then
        echo 'postfix postfix/main_mailer_type select No configuration' |
            "${SUDO[@]}" debconf-set-selections
        echo 'postfix postfix/mailname string localhost' |
            "${SUDO[@]}" debconf-set-selections
    fi
done

apt_install() {
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}
if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
    "${SUDO[@]}" apt-get update -q
fi
if ! apt_install; then
    "${SUDO[@]}" apt-get update -q
    apt_install
fi

# Should a service have been enabled anyway, stop it and keep it off.
for svc in postfix postgrey; do
    if printf '%s\n' "${missing[@]}" | grep -qx "$svc"; then
        if [ -d /run/systemd/system ]; then
            "${SUDO[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
        elif command -v service >/dev/null; then
            "${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 || true
        fi
    fi
done
echo "deps: done"
