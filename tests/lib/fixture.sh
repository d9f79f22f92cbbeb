# fixture.sh - shell helpers shared by the integration tests that run real
# mail servers on 127.0.0.1 (tests/integration/*_fixture.sh). Sourced:
#   . "$(dirname "$0")/../lib/fixture.sh"
# Defines fails=0, which is() and jq_has() count up.

fails=0

# Exit 77, which ctest counts as skipped, saying why.
skip() { echo "SKIP: $*"; exit 77; }

# need_tools TOOL...: skip unless every tool is on PATH (sbin included).
need_tools() {
    local t
    PATH=$PATH:/usr/sbin:/sbin
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (bash scripts/deps.sh --test)"
    done
}

# smtpdx_paths: BUILD and SMTPDX made absolute (the servers run elsewhere);
# fails when there is no binary.
smtpdx_paths() {
    [ -x "$SMTPDX" ] || { echo "FAIL: no smtpdx binary at $SMTPDX"; exit 1; }
    BUILD=$(cd "$BUILD" && pwd)
    SMTPDX=$(cd "$(dirname "$SMTPDX")" && pwd)/$(basename "$SMTPDX")
}

# Something listens on this loopback port.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_block "OFFSETS" BASE...: print the first BASE whose ports
# BASE+OFFSET are all free (other fixtures may be running); status 1 when
# every block is taken.
free_block() {
    local offsets=$1 b off busy
    shift
    for b in "$@"; do
        busy=0
        for off in $offsets; do
            port_busy $((b + off)) && { busy=1; break; }
        done
        [ $busy -eq 0 ] && { echo "$b"; return 0; }
    done
    return 1
}

# pids_of EXE: the processes running that binary. A server unpacked into
# the test's own folder is named by its path, and nothing else is; its
# children may have left the parent's session, so no process group would
# hold them all.
pids_of() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/exe" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
    done
}

# stop_all EXE [PID...]: TERM to the PIDs and to every process of EXE,
# KILL to what is left of EXE after 3 seconds.
stop_all() {
    local exe=$1 left=
    shift
    # shellcheck disable=SC2046
    kill -TERM "$@" $(pids_of "$exe") 2>/dev/null
    for _ in $(seq 30); do
        left=$(pids_of "$exe")
        [ -z "$left" ] && break
        sleep 0.1
    done
    # shellcheck disable=SC2086
    [ -n "$left" ] && kill -KILL $left 2>/dev/null
    return 0
}

# is GOT WANT DESCRIPTION
is() {
    if [ "$1" = "$2" ]; then
        echo "ok   $3"
    else
        echo "FAIL $3 (got $1, expected $2)"; fails=$((fails + 1))
    fi
}

# jq_has NDJSON DESCRIPTION FILTER [JQ-ARGS...]: some record of the file
# passes the jq filter.
jq_has() {
    local file=$1 what=$2 filter=$3
    shift 3
    if jq -e -s "$@" "map(select($filter)) | length > 0" "$file" >/dev/null; then
        echo "ok   $what"
    else
        echo "FAIL $what"; fails=$((fails + 1))
    fi
}

# fetch_debs DIR PKG...: the Debian packages PKG as .deb files in DIR,
# downloaded once per DIR (apt-get download: nothing is installed); skip
# when they cannot be had.
fetch_debs() {
    local dir=$1 p missing=
    shift
    mkdir -p "$dir"
    for p in "$@"; do
        ls "$dir/${p}"_*.deb >/dev/null 2>&1 || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    echo "downloading$missing into $dir"
    # shellcheck disable=SC2086
    (cd "$dir" && timeout 180 apt-get download -q -o APT::Sandbox::User=root \
        $missing) > "$dir/download.log" 2>&1 ||
        skip "apt-get download failed: $(tail -n 1 "$dir/download.log")"
    for p in "$@"; do
        ls "$dir/${p}"_*.deb >/dev/null 2>&1 || skip "$p is not in $dir"
    done
}

# free_id N: the first number from N up that is neither a user's nor a
# group's id here (for a user that exists only inside a namespace).
free_id() {
    local id=$1
    while getent passwd "$id" >/dev/null || getent group "$id" >/dev/null; do
        id=$((id + 1))
    done
    echo "$id"
}

# exim_fetch BUILD: what Exim needs before it can be unpacked. Exim cannot
# be installed beside Postfix with apt (they conflict): exim4-daemon-light
# and exim4-base are downloaded once into BUILD/exim-debs; libidn12 is
# installed and the Debian-exim system user created when absent. Skips
# when any of it cannot be had.
exim_fetch() {
    local debs=$1/exim-debs grp
    mkdir -p "$debs"
    if [ -z "$(newest_deb "$debs" exim4-daemon-light)" ] ||
       [ -z "$(newest_deb "$debs" exim4-base)" ]; then
        echo "downloading exim4-daemon-light and exim4-base into $debs"
        if ! (cd "$debs" && timeout 120 apt-get download -q -o APT::Sandbox::User=root \
                  exim4-daemon-light exim4-base) > "$debs/download.log" 2>&1; then
            skip "apt-get download exim4-daemon-light exim4-base failed: $(tail -n 1 "$debs/download.log")"
        fi
    fi
    [ -n "$(newest_deb "$debs" exim4-daemon-light)" ] &&
        [ -n "$(newest_deb "$debs" exim4-base)" ] || skip "no exim4 packages in $debs"
    if ! dpkg-query -W -f='${Status}' libidn12 2>/dev/null | grep -q 'install ok installed'; then
        DEBIAN_FRONTEND=noninteractive timeout 180 apt-get install -y -q \
            --no-install-recommends libidn12 > /dev/null 2>&1 ||
            skip "libidn12 (needed by exim4) is missing and apt-get could not install it"
    fi
    if ! getent passwd Debian-exim >/dev/null; then
        grp=(--user-group)
        getent group Debian-exim >/dev/null && grp=(-g Debian-exim)
        useradd --system "${grp[@]}" --no-create-home --home-dir /var/spool/exim4 \
            --shell /usr/sbin/nologin Debian-exim ||
            skip "could not create the Debian-exim system user"
    fi
}

# newest_deb DIR PKG: the newest PKG_*.deb in DIR, or nothing.
newest_deb() { ls "$1"/"$2"_*.deb 2>/dev/null | sort -V | tail -n 1; }

# exim_unpack BUILD DIR: the packages exim_fetch got, unpacked under
# DIR/root (on every run: nothing is installed); EXIM is set to the binary.
exim_unpack() {
    local debs=$1/exim-debs dir=$2 d
    for d in "$(newest_deb "$debs" exim4-daemon-light)" "$(newest_deb "$debs" exim4-base)"; do
        dpkg-deb -x "$d" "$dir/root" || { echo "FAIL: dpkg-deb -x $d"; exit 1; }
    done
    EXIM=$dir/root/usr/sbin/exim4
    [ -x "$EXIM" ] || { echo "FAIL: no exim4 binary in $debs"; exit 1; }
    if ! "$EXIM" -bV > "$dir/exim-version" 2>&1 && grep -q "shared librar" "$dir/exim-version"; then
        skip "exim4 cannot start: $(head -n 1 "$dir/exim-version")"
    fi
}

# sendmail_unpack DEBS DIR: the Sendmail packages fetch_debs put in DEBS
# (sendmail-bin, sendmail-cf, m4, libwrap0), unpacked under DIR/root on
# every run (nothing is installed). Sets SM (the binary, its set-group-id
# bit dropped: the copy is ours, and without the bit the loader honours
# LD_LIBRARY_PATH), M4 and SM_LIBDIR (where the unpacked libwrap is).
sendmail_unpack() {
    local d
    for d in "$1"/*.deb; do
        dpkg-deb -x "$d" "$2/root" || { echo "FAIL: dpkg-deb -x $d"; exit 1; }
    done
    SM=$2/root/usr/libexec/sendmail/sendmail
    M4=$2/root/usr/bin/m4
    [ -x "$SM" ] && [ -x "$M4" ] || { echo "FAIL: no sendmail or m4 in the packages"; exit 1; }
    chmod g-s "$SM"
    SM_LIBDIR=$(dirname "$(find "$2/root" -name 'libwrap.so.0' | head -n 1)")
}

# sendmail_cf DIR DOMAIN: DIR/test.cf made by m4 (from sendmail_unpack's
# packages under DIR/root) for a Sendmail named DOMAIN whose files live in
# /mnt/sm; the lines of standard input (define()s of the fixture's own)
# go in before the features and mailers.
sendmail_cf() {
    {
        echo "divert(-1)"
        echo "divert(0)dnl"
        echo "include(\`$1/root/usr/share/sendmail/cf/m4/cf.m4')dnl"
        echo "OSTYPE(\`linux')dnl"
        echo "define(\`confDOMAIN_NAME', \`$2')dnl"
        echo "define(\`confSERVICE_SWITCH_FILE', \`/mnt/sm/service.switch')dnl"
        echo "define(\`confDONT_PROBE_INTERFACES', \`True')dnl"
        echo "define(\`confDEF_USER_ID', \`8:12')dnl"
        echo "define(\`ALIAS_FILE', \`/mnt/sm/aliases')dnl"
        echo "define(\`confPID_FILE', \`/mnt/sm/sendmail.pid')dnl"
        echo "define(\`STATUS_FILE', \`/mnt/sm/statistics')dnl"
        cat
        echo "FEATURE(\`nocanonify')dnl"
        echo "MAILER(\`local')dnl"
        echo "MAILER(\`smtp')dnl"
    } > "$1/test.mc"
    "$M4" "$1/test.mc" > "$1/test.cf" 2> "$1/m4.log" ||
        { echo "FAIL: m4 could not make Sendmail's configuration"; cat "$1/m4.log"; exit 1; }
}

# opensmtpd_fetch BUILD: the opensmtpd package in BUILD/opensmtpd-debs
# (downloaded once) and the libraries its smtpd links (libevent above all,
# absent from a fresh system), installed with apt-get when missing; skips
# when either cannot be had. OS_DEB is set to the package.
opensmtpd_fetch() {
    local probe missing
    fetch_debs "$1/opensmtpd-debs" opensmtpd
    OS_DEB=$(newest_deb "$1/opensmtpd-debs" opensmtpd)
    probe=$(mktemp -d)
    dpkg-deb -x "$OS_DEB" "$probe" || { rm -rf "$probe"; skip "cannot unpack $OS_DEB"; }
    if ldd "$probe/usr/sbin/smtpd" 2>/dev/null | grep -q 'not found'; then
        DEBIAN_FRONTEND=noninteractive timeout 180 apt-get install -y -q \
            --no-install-recommends libevent-2.1-7 libdb5.3 > /dev/null 2>&1
    fi
    missing=$(ldd "$probe/usr/sbin/smtpd" 2>/dev/null | awk '/not found/ {print $1}')
    rm -rf "$probe"
    [ -z "$missing" ] || skip "opensmtpd needs libraries apt-get could not install: $missing"
}

# opensmtpd_start_script DIR CONF: DIR/start.sh, which (run under
# unshare -m) gives the OpenSMTPD unpacked under DIR/root what it has
# compiled in, its users (opensmtpd, opensmtpq: in copies of /etc/passwd
# and /etc/group when the system has none), its helpers at
# /usr/libexec/opensmtpd and empty /var/lib, /var/spool and /run, then
# runs it in the foreground on CONF.
opensmtpd_start_script() {
    local dir=$1 conf=$2 uid_d uid_q
    uid_d=$(free_id 64900)
    uid_q=$(free_id $((uid_d + 1)))
    cp /etc/passwd "$dir/passwd" && cp /etc/group "$dir/group" || exit 1
    getent passwd opensmtpd >/dev/null ||
        echo "opensmtpd:x:$uid_d:$uid_d::/var/lib/opensmtpd/empty:/usr/sbin/nologin" >> "$dir/passwd"
    getent passwd opensmtpq >/dev/null ||
        echo "opensmtpq:x:$uid_q:$uid_q::/var/lib/opensmtpd/empty:/usr/sbin/nologin" >> "$dir/passwd"
    getent group opensmtpd >/dev/null || echo "opensmtpd:x:$uid_d:" >> "$dir/group"
    getent group opensmtpq >/dev/null || echo "opensmtpq:x:$uid_q:" >> "$dir/group"
    cat > "$dir/start.sh" <<EOF
set -e
mount --make-rprivate /
mount --bind $dir/passwd /etc/passwd
mount --bind $dir/group /etc/group
mount -t tmpfs none /usr/libexec
mkdir /usr/libexec/opensmtpd
mount --bind $dir/root/usr/libexec/opensmtpd /usr/libexec/opensmtpd
mount -t tmpfs none /var/lib
mkdir -p /var/lib/opensmtpd/empty
mount -t tmpfs none /var/spool
mkdir -m 711 /var/spool/smtpd
mount -t tmpfs none /run
exec $dir/root/usr/sbin/smtpd -d -f $conf
EOF
}

# postfix_services: the master.cf lines of Postfix's own services (none
# chrooted), for a private instance's master.cf after its listeners.
postfix_services() {
    cat <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# postfix_stop CONFIG_DIR QUEUE_DIR: stop a private Postfix instance and
# wait until its master is gone (it holds the queue directory).
postfix_stop() {
    local pid
    [ -f "$1/main.cf" ] || return 0
    postfix -c "$1" stop >/dev/null 2>&1
    for _ in $(seq 50); do
        [ -f "$2/pid/master.pid" ] || break
        pid=$(tr -d ' ' < "$2/pid/master.pid" 2>/dev/null)
        [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
}

# postfix_instance DIR LOG: the folders of a private Postfix instance under
# DIR (etc, spool, data, vmail, owned as its daemons need them) and a
# DIR/etc/main.cf with the lines every fixture's instance shares: its own
# paths, the log file LOG, the identity mx.sender.test, alice@sender.test's
# virtual Maildir (DIR/vmail/alice, where returned mail lands), no TLS, and
# queue times short enough that a deferred message comes back at once.
# The fixture appends its own lines (networks, routes, lookups).
postfix_instance() {
    mkdir -p "$1"/{etc,spool,data,vmail}
    chown nobody:nogroup "$1/vmail"
    chown postfix "$1/data"
    cat > "$1/etc/main.cf" <<EOF
compatibility_level = 3.6
config_directory = $1/etc
queue_directory = $1/spool
data_directory = $1/data
maillog_file_prefixes = $1
maillog_file = $2
myhostname = mx.sender.test
mydomain = sender.test
myorigin = sender.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
alias_maps =
alias_database =
virtual_mailbox_domains = sender.test
virtual_mailbox_base = $1/vmail
virtual_mailbox_maps = inline:{ {alice@sender.test=alice/} }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
smtpd_peername_lookup = no
smtp_tls_security_level = none
smtpd_tls_security_level = none
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 20s
maximal_queue_lifetime = 0
bounce_queue_lifetime = 0
biff = no
EOF
}

# stop_pid PID: TERM to a daemon the test started (if it still runs), and
# up to 3 seconds for it to go.
stop_pid() {
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
    kill "$1" 2>/dev/null
    for _ in $(seq 30); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
}

# as_syslog TAG < LINES > LOG: a server's lines as a syslog daemon would
# file them, "Dec  5 01:20:SS mx TAG: line" (OpenSMTPD writes them bare in
# the foreground); the seconds grow every four lines.
as_syslog() {
    awk -v tag="$1" '{ printf "Dec  5 01:20:%02d mx %s: %s\n", int(NR / 4) % 60, tag, $0 }'
}

# syslog_start DIR HOST (SRC: the source tree): for servers that log only
# through syslog(3) (Sendmail), and only in a private mount namespace: an
# overlay on /dev adds a /dev/log where tests/lib/syslog_sink.py listens
# and writes DIR/maillog as a syslog daemon would, with HOST as the host
# name. syslog_stop takes the overlay away. Nothing outside the namespace
# sees either.
syslog_start() {
    local dir=$1 host=$2
    mkdir -p "$dir/devlog" "$dir/sock"
    : > "$dir/devlog/log"
    : > "$dir/maillog"
    python3 "$SRC/tests/lib/syslog_sink.py" "$dir/sock/log" "$dir/maillog" \
        "$host" > "$dir/syslog_sink.log" 2>&1 &
    SYSLOG_PID=$!
    for _ in $(seq 50); do [ -S "$dir/sock/log" ] && break; sleep 0.1; done
    [ -S "$dir/sock/log" ] &&
        mount -t overlay overlay -o "lowerdir=$dir/devlog:/dev" /dev &&
        mount --bind "$dir/sock/log" /dev/log
}

syslog_stop() {
    umount /dev/log && umount /dev
    stop_pid "$SYSLOG_PID"
    wait "$SYSLOG_PID" 2>/dev/null
    SYSLOG_PID=
}
