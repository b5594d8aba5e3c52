#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, to run tools/slurm_train.sh for
# real (tests/tools/test_slurm_train.py uses it when it is up). Needs root and
# a Debian/Ubuntu apt; CPU only (no gres).
#
#   sudo bash tools/analysis/slurm_local_cluster.sh start   # install+start
#   sudo bash tools/analysis/slurm_local_cluster.sh stop
#   bash tools/analysis/slurm_local_cluster.sh status
#
# start: installs slurm-wlm and munge with apt-get if slurmctld/munged are
# missing, writes /etc/slurm/slurm.conf (one node = this host, CPUS CPUs,
# default 2; partition `debug`; requeue allowed) unless a slurm.conf not
# written by this script is there, starts munged, slurmctld and slurmd, and
# waits until the node is idle. Env: CPUS (2), SLURM_STATE (/var/spool/
# dfertools-slurm: state, spool, logs, pid files).
set -euo pipefail
CMD=${1:-}
CPUS=${CPUS:-2}
STATE=${SLURM_STATE:-/var/spool/dfertools-slurm}
CONF=/etc/slurm/slurm.conf
MARK='# written by dfertools tools/analysis/slurm_local_cluster.sh'
HOST=$(hostname -s)

die() { echo "slurm_local_cluster.sh: $*" >&2; exit 1; }

install() {
    if command -v slurmctld >/dev/null && command -v munged >/dev/null \
            && command -v sbatch >/dev/null; then
        return
    fi
    [ "$(id -u)" = 0 ] || die "slurm-wlm/munge are missing; run as root to apt-get install them"
    command -v apt-get >/dev/null || die "slurm-wlm/munge are missing and there is no apt-get; install SLURM yourself"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge
}

write_conf() {
    if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
        die "$CONF exists and was not written by this script; not touching it"
    fi
    mkdir -p "$STATE"/ctld "$STATE"/d /etc/slurm
    local mem
    mem=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
    cat > "$CONF" <<CONF
$MARK
ClusterName=dfertools-local
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
ReturnToService=2
JobRequeue=1
MpiDefault=none
KillWait=5
InactiveLimit=0
MinJobAge=600
NodeName=$HOST CPUs=$CPUS RealMemory=${mem:-1000} State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
}

start() {
    install
    write_conf
    if ! pgrep -x munged >/dev/null; then
        mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null || true
        if [ ! -s /etc/munge/munge.key ]; then
            dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 2>/dev/null
            chown munge:munge /etc/munge/munge.key
            chmod 400 /etc/munge/munge.key
        fi
        su -s /bin/sh munge -c munged 2>/dev/null || munged --force
    fi
    pgrep -x slurmctld >/dev/null || slurmctld
    pgrep -x slurmd >/dev/null || slurmd
    for _ in $(seq 60); do
        if sinfo -h -N -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
            sinfo
            return
        fi
        sleep 1
    done
    scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true
    sinfo -h -N -o '%T' | grep -qE '^(idle|mixed|allocated)' \
        || die "node $HOST did not become idle; see $STATE/slurmctld.log and $STATE/slurmd.log"
    sinfo
}

stop() {
    for daemon in slurmd slurmctld; do
        local pidfile="$STATE/$daemon.pid"
        if [ -s "$pidfile" ]; then
            kill "$(cat "$pidfile")" 2>/dev/null || true
        fi
    done
}

case "$CMD" in
    start) start ;;
    stop) stop ;;
    status) sinfo && squeue ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
